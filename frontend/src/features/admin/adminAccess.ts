import type { User } from "../../api/types";

// Who sees the admin pages: holders of users.manage or roles.manage (the API checks again).
export function canManageUsers(user: User): boolean {
  return (user.permissions ?? []).includes("users.manage");
}

export function canManageRoles(user: User): boolean {
  return (user.permissions ?? []).includes("roles.manage");
}

export function canAdminister(user: User): boolean {
  return canManageUsers(user) || canManageRoles(user);
}

export const ADMIN_PATH = "/admin";
