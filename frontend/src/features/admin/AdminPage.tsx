import { NavLink, Navigate, Route, Routes } from "react-router";
import type { User } from "../../api/types";
import { AdminTrail } from "./AdminTrail";
import { ADMIN_PATH, canManageDefinitions, canManageLayouts, canManageRoles, canManageUsers } from "./adminAccess";
import { DefinitionsPanel } from "./DefinitionsPanel";
import { LayoutEditor } from "../layout/LayoutEditor";
import { RolesPanel } from "./RolesPanel";
import { UsersPanel } from "./UsersPanel";

// Loaded on demand (see SignedIn): the inbox's first download does not carry it.
export default function AdminPage({ user }: { user: User }) {
  const users = canManageUsers(user);
  const roles = canManageRoles(user);
  const layouts = canManageLayouts(user);
  const definitions = canManageDefinitions(user);
  const trail = users || roles;
  // Absolute: under a splat route, relative links resolve against the whole URL.
  const first = `${ADMIN_PATH}/${users ? "users" : roles ? "roles" : layouts ? "layouts" : "workflows"}`;
  return (
    <section className="admin" aria-labelledby="admin-title">
      <h1 id="admin-title">Administration</h1>
      <nav aria-label="Administration" className="admin-tabs">
        {users && <NavLink to={`${ADMIN_PATH}/users`}>Users</NavLink>}
        {roles && <NavLink to={`${ADMIN_PATH}/roles`}>Roles</NavLink>}
        {layouts && <NavLink to={`${ADMIN_PATH}/layouts`}>Case layouts</NavLink>}
        {definitions && <NavLink to={`${ADMIN_PATH}/workflows`}>Workflow definitions</NavLink>}
        {trail && <NavLink to={`${ADMIN_PATH}/audit`}>Admin trail</NavLink>}
      </nav>
      <Routes>
        {users && <Route path="users" element={<UsersPanel me={user} />} />}
        {roles && <Route path="roles" element={<RolesPanel me={user} />} />}
        {layouts && <Route path="layouts" element={<LayoutEditor />} />}
        {definitions && <Route path="workflows" element={<DefinitionsPanel />} />}
        {trail && <Route path="audit" element={<AdminTrail />} />}
        <Route path="*" element={<Navigate to={first} replace />} />
      </Routes>
    </section>
  );
}
