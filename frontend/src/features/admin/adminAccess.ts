import type { User } from "../../api/types";

// Who sees the admin pages: holders of users.manage, roles.manage or layouts.manage (the API
// checks again).
export function canManageUsers(user: User): boolean {
  return (user.permissions ?? []).includes("users.manage");
}

export function canManageRoles(user: User): boolean {
  return (user.permissions ?? []).includes("roles.manage");
}

export function canManageLayouts(user: User): boolean {
  return (user.permissions ?? []).includes("layouts.manage");
}

export function canAdminister(user: User): boolean {
  return canManageUsers(user) || canManageRoles(user) || canManageLayouts(user);
}

export const ADMIN_PATH = "/admin";
