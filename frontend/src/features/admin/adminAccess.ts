import type { User } from "../../api/types";

// Who sees the admin pages: holders of users.manage, roles.manage, layouts.manage or
// definitions.manage (the API checks again).
export function canManageUsers(user: User): boolean {
  return (user.permissions ?? []).includes("users.manage");
}

export function canManageRoles(user: User): boolean {
  return (user.permissions ?? []).includes("roles.manage");
}

export function canManageLayouts(user: User): boolean {
  return (user.permissions ?? []).includes("layouts.manage");
}

export function canManageDefinitions(user: User): boolean {
  return (user.permissions ?? []).includes("definitions.manage");
}

export function canAdminister(user: User): boolean {
  return canManageUsers(user) || canManageRoles(user) || canManageLayouts(user) || canManageDefinitions(user);
}

export const ADMIN_PATH = "/admin";
