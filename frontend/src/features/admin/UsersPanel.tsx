import { useState, type FormEvent } from "react";
import { api } from "../../api/client";
import type { Body, RoleView, User } from "../../api/types";
import { ErrorAlert, QueryStatus } from "./QueryStatus";
import { RoleChoice } from "./RoleChoice";
import { useAdminChange, useRoles, useUsers } from "./useAdmin";

export function UsersPanel({ me }: { me: User }) {
  const users = useUsers();
  const roles = useRoles();
  const roleList = roles.data?.data ?? [];
  const nameOf = (id: string) => roleList.find((r) => r.id === id)?.name ?? id;

  return (
    <div className="admin-panel">
      <InviteForm me={me} roles={roleList} />
      <h2 id="users-title">Users</h2>
      <QueryStatus query={users} loading="Loading users…" />
      {users.data && (
        <table className="admin-table" aria-labelledby="users-title" data-testid="users-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Roles</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.data.data.map((user) => (
              <UserRow key={user.id} user={user} me={me} roles={roleList} nameOf={nameOf} />
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function InviteForm({ me, roles }: { me: User; roles: RoleView[] }) {
  const [email, setEmail] = useState("");
  const [name, setName] = useState("");
  const [chosen, setChosen] = useState<string[]>(["reviewer"]);
  const [shown, setShown] = useState<{ email: string; password: string | null } | null>(null);
  const invite = useAdminChange((body: Body<"inviteUser">) => api.inviteUser(body));

  function submit(event: FormEvent) {
    event.preventDefault();
    invite.mutate(
      { email: email.trim(), name: name.trim(), roles: chosen },
      {
        onSuccess: (answer) => {
          setShown({ email: answer.user.email, password: answer.temporaryPassword ?? null });
          setEmail("");
          setName("");
        },
      },
    );
  }

  return (
    <form className="panel admin-form" onSubmit={submit} aria-labelledby="invite-title">
      <h2 id="invite-title">Invite a user</h2>
      <div className="row">
        <label htmlFor="invite-email">Email</label>
        <input id="invite-email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <label htmlFor="invite-name">Name</label>
        <input id="invite-name" required value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      <RoleChoice legend="Roles" roles={roles} me={me} chosen={chosen} onChange={setChosen} idPrefix="invite-role" />
      {invite.isError && <ErrorAlert error={invite.error} />}
      <button type="submit" className="primary" disabled={invite.isPending || !email || !name || chosen.length === 0}>
        {invite.isPending ? "Inviting…" : "Invite"}
      </button>
      {shown && (
        <div className="secret-once" role="status" data-testid="invite-result">
          {shown.password ? (
            <>
              <p>
                {shown.email} is invited. Their temporary password, shown only this once:{" "}
                <code data-testid="temporary-password">{shown.password}</code>
              </p>
              <p className="small">They choose their own password at first sign-in.</p>
            </>
          ) : (
            <p>{shown.email} is invited: the temporary password is on its way by email.</p>
          )}
          <button type="button" onClick={() => setShown(null)}>
            Done
          </button>
        </div>
      )}
    </form>
  );
}

interface RowProps {
  user: User;
  me: User;
  roles: RoleView[];
  nameOf: (id: string) => string;
}

function UserRow({ user, me, roles, nameOf }: RowProps) {
  const [editing, setEditing] = useState(false);
  const [chosen, setChosen] = useState<string[]>(user.roles);
  const update = useAdminChange((body: Body<"updateUser">) => api.updateUser(user.id, body));
  const self = user.id === me.id;
  const active = user.active !== false;

  function save(next: { roles?: string[]; active?: boolean }) {
    update.mutate(
      { roles: next.roles ?? user.roles, active: next.active ?? active, expectedVersion: user.version ?? 1 },
      { onSuccess: () => setEditing(false) },
    );
  }

  return (
    <tr data-testid={`user-${user.email}`}>
      <td>{user.name}</td>
      <td>{user.email}</td>
      <td>
        {editing ? (
          <form
            onSubmit={(event) => {
              event.preventDefault();
              save({ roles: chosen });
            }}
          >
            <RoleChoice
              legend={`Roles of ${user.name}`}
              roles={roles}
              me={me}
              chosen={chosen}
              onChange={setChosen}
              idPrefix={`roles-${user.id}`}
            />
            <div className="row">
              <button type="submit" className="primary" disabled={update.isPending || chosen.length === 0}>
                Save roles
              </button>
              <button type="button" onClick={() => setEditing(false)}>
                Cancel
              </button>
            </div>
          </form>
        ) : (
          user.roles.map(nameOf).join(", ")
        )}
        {update.isError && <ErrorAlert error={update.error} />}
      </td>
      <td>
        <span className={`badge ${active ? "badge-ok" : "badge-neutral"}`}>{active ? "active" : "deactivated"}</span>
      </td>
      <td>
<div className="actions">
        {!editing && (
          <button
            type="button"
            aria-label={`Change roles of ${user.name}`}
            onClick={() => {
              setChosen(user.roles);
              setEditing(true);
            }}
          >
            Change roles
          </button>
        )}
        {!self && (
          <button
            type="button"
            disabled={update.isPending}
            aria-label={`${active ? "Deactivate" : "Reactivate"} ${user.name}`}
            onClick={() => save({ active: !active })}
          >
            {active ? "Deactivate" : "Reactivate"}
          </button>
        )}
      </div>
      </td>
    </tr>
  );
}
