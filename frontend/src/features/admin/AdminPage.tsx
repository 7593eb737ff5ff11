import { NavLink, Navigate, Route, Routes } from "react-router";
import type { User } from "../../api/types";
import { AdminTrail } from "./AdminTrail";
import { ADMIN_PATH, canManageRoles, canManageUsers } from "./adminAccess";
import { RolesPanel } from "./RolesPanel";
import { UsersPanel } from "./UsersPanel";

// Loaded on demand (see SignedIn): the inbox's first download does not carry it.
export default function AdminPage({ user }: { user: User }) {
  const users = canManageUsers(user);
  const roles = canManageRoles(user);
  // Absolute: under a splat route, relative links resolve against the whole URL.
  const first = `${ADMIN_PATH}/${users ? "users" : "roles"}`;
  return (
    <section className="admin" aria-labelledby="admin-title">
      <h1 id="admin-title">Administration</h1>
      <nav aria-label="Administration" className="admin-tabs">
        {users && <NavLink to={`${ADMIN_PATH}/users`}>Users</NavLink>}
        {roles && <NavLink to={`${ADMIN_PATH}/roles`}>Roles</NavLink>}
        <NavLink to={`${ADMIN_PATH}/audit`}>Admin trail</NavLink>
      </nav>
      <Routes>
        {users && <Route path="users" element={<UsersPanel me={user} />} />}
        {roles && <Route path="roles" element={<RolesPanel me={user} />} />}
        <Route path="audit" element={<AdminTrail />} />
        <Route path="*" element={<Navigate to={first} replace />} />
      </Routes>
    </section>
  );
}
