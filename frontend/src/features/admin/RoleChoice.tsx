import type { RoleView, User } from "../../api/types";

interface Props {
  legend: string;
  roles: RoleView[];
  me: User;
  chosen: string[];
  onChange: (next: string[]) => void;
  idPrefix: string;
}

/** Role checkboxes; a role granting a permission the admin lacks cannot be chosen (the API's
 * grant ceiling says the same). */
export function RoleChoice({ legend, roles, me, chosen, onChange, idPrefix }: Props) {
  return (
    <fieldset className="role-choice">
      <legend>{legend}</legend>
      {roles.map((role) => {
        const beyond = role.permissions.filter((p) => !(me.permissions ?? []).includes(p));
        const id = `${idPrefix}-${role.id}`;
        const checked = chosen.includes(role.id);
        return (
          <div key={role.id} className="check">
            <input
              id={id}
              type="checkbox"
              checked={checked}
              disabled={beyond.length > 0 && !checked}
              onChange={(e) => onChange(e.target.checked ? [...chosen, role.id] : chosen.filter((r) => r !== role.id))}
            />
            <label htmlFor={id}>
              {role.name}
              {beyond.length > 0 && <span className="small muted"> (grants {beyond.join(", ")}, which you lack)</span>}
            </label>
          </div>
        );
      })}
    </fieldset>
  );
}
