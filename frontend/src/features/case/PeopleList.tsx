import type { LayoutBlock } from "../../api/types";
import { personName } from "../../shared/format";
import { LayoutFields } from "../layout/LayoutFields";

export function PeopleList({
  title,
  people,
  block,
}: {
  title: string;
  people: Record<string, unknown>[];
  block: LayoutBlock;
}) {
  const id = `people-${block.type}`;
  return (
    <section className="panel" aria-labelledby={id} data-block={block.type}>
      <h2 id={id}>
        {block.title ?? title} <span className="count">{people.length}</span>
      </h2>
      {people.length === 0 ? (
        <p className="muted">None listed.</p>
      ) : (
        <ul className="people">
          {people.map((person, index) => (
            <li key={index}>
              <details>
                <summary>
                  <span className="person-name">{personName(person)}</span>
                  {typeof person.ownershipPercentage === "number" && (
                    <span className="muted"> · {person.ownershipPercentage}%</span>
                  )}
                  {typeof person.role === "string" && <span className="muted"> · {person.role}</span>}
                </summary>
                <LayoutFields
                  data={person}
                  fields={block.fields ?? []}
                  showUnlisted={block.showUnlisted ?? true}
                  omit={["firstName", "lastName"]}
                />
              </details>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
