import { useState, type FormEvent } from "react";
import { api } from "../../api/client";
import type { PermissionName, RoleView, User } from "../../api/types";
import { ErrorAlert, QueryStatus } from "./QueryStatus";
import { useAdminChange, usePermissions, useRoles } from "./useAdmin";

export function RolesPanel({ me }: { me: User }) {
  const roles = useRoles();
  // null: no form; "new": a new role; otherwise the custom role being edited.
  const [editing, setEditing] = useState<RoleView | "new" | null>(null);
  const remove = useAdminChange((role: RoleView) => api.deleteRole(role.id, role.version ?? 1));

  return (
    <div className="admin-panel">
      <div className="row">
        <h2 id="roles-title">Roles</h2>
        {editing === null && (
          <button type="button" className="primary" onClick={() => setEditing("new")}>
            New role
          </button>
        )}
      </div>
      {editing !== null && (
        <RoleForm key={editing === "new" ? "new" : editing.id} me={me} role={editing === "new" ? null : editing} onDone={() => setEditing(null)} />
      )}
      {remove.isError && <ErrorAlert error={remove.error} />}
      <QueryStatus query={roles} loading="Loading roles…" />
      {roles.data && (
        <table className="admin-table" aria-labelledby="roles-title" data-testid="roles-table">
          <thead>
            <tr>
              <th scope="col">Role</th>
              <th scope="col">Permissions</th>
              <th scope="col">Holders</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {roles.data.data.map((role) => (
              <tr key={role.id} data-testid={`role-${role.id}`}>
                <td>
                  <strong>{role.name}</strong>
                  <span className="sub">
                    {role.id}
                    {role.builtIn ? " · built-in, read-only" : role.description ? ` · ${role.description}` : ""}
                  </span>
                </td>
                <td className="small">{role.permissions.join(", ") || "none"}</td>
                <td>{role.builtIn ? "" : role.holders}</td>
                <td>
<div className="actions">
                  {!role.builtIn && (
                    <>
                      <button type="button" aria-label={`Edit role ${role.name}`} onClick={() => setEditing(role)}>
                        Edit
                      </button>
                      <button
                        type="button"
                        aria-label={`Delete role ${role.name}`}
                        disabled={remove.isPending}
                        onClick={() => remove.mutate(role)}
                      >
                        Delete
                      </button>
                    </>
                  )}
                </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

interface FormProps {
  me: User;
  role: RoleView | null;
  onDone: () => void;
}

function RoleForm({ me, role, onDone }: FormProps) {
  const catalogue = usePermissions();
  const [id, setId] = useState("");
  const [name, setName] = useState(role?.name ?? "");
  const [description, setDescription] = useState(role?.description ?? "");
  const [chosen, setChosen] = useState<string[]>(role?.permissions ?? []);
  const save = useAdminChange(() =>
    role
      ? api.updateRole(role.id, { name, description, permissions: chosen as PermissionName[], expectedVersion: role.version ?? 1 })
      : api.createRole({ id, name, description, permissions: chosen as PermissionName[] }),
  );

  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate(undefined, { onSuccess: onDone });
  }

  return (
    <form className="panel admin-form" onSubmit={submit} aria-labelledby="role-form-title">
      <h3 id="role-form-title">{role ? `Edit role ${role.name}` : "New role"}</h3>
      <div className="row">
        {!role && (
          <>
            <label htmlFor="role-id">Id</label>
            <input
              id="role-id"
              required
              pattern="[a-z][a-z0-9_\-]{0,63}"
              aria-describedby="role-id-hint"
              value={id}
              onChange={(e) => setId(e.target.value)}
            />
            <span id="role-id-hint" className="small muted">
              lower case, digits, - and _
            </span>
          </>
        )}
        <label htmlFor="role-name">Name</label>
        <input id="role-name" required value={name} onChange={(e) => setName(e.target.value)} />
        <label htmlFor="role-description">Description</label>
        <input id="role-description" value={description} onChange={(e) => setDescription(e.target.value)} />
      </div>
      <fieldset className="role-choice">
        <legend>Permissions</legend>
        {catalogue.data?.data.map((permission) => {
          const mine = (me.permissions ?? []).includes(permission.id);
          const checked = chosen.includes(permission.id);
          const inputId = `permission-${permission.id}`;
          return (
            <div key={permission.id} className="check">
              <input
                id={inputId}
                type="checkbox"
                checked={checked}
                disabled={!mine && !checked}
                onChange={(e) =>
                  setChosen(e.target.checked ? [...chosen, permission.id] : chosen.filter((p) => p !== permission.id))
                }
              />
              <label htmlFor={inputId}>
                <code>{permission.id}</code> <span className="small muted">{permission.description}</span>
                {!mine && <span className="small muted"> (you lack it)</span>}
              </label>
            </div>
          );
        })}
      </fieldset>
      {save.isError && <ErrorAlert error={save.error} />}
      <div className="row">
        <button type="submit" className="primary" disabled={save.isPending || !name || (!role && !id)}>
          {role ? "Save role" : "Create role"}
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
