import { personName } from "../../shared/format";
import { DataList } from "../../shared/ui/DataList";

export function PeopleList({ title, people }: { title: string; people: Record<string, unknown>[] }) {
  const id = `people-${title.toLowerCase().replace(/\W+/g, "-")}`;
  return (
    <section className="panel" aria-labelledby={id}>
      <h2 id={id}>
        {title} <span className="count">{people.length}</span>
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
                <DataList data={person} omit={["firstName", "lastName"]} />
              </details>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
