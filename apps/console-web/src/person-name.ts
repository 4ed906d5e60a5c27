/** The parts of a person's name, as the directory's users and the console's session give them. */
export interface NamedPerson {
  username: string;
  firstname?: string | null;
  lastname?: string | null;
  displayname?: string | null;
}

/**
 * What the console calls a person: the name they go by (display name), else their first and last
 * names, else their username. First and last names that are the same word are said once: the first
 * administrator of an organisation set up before it had a display name is "Administrator
 * Administrator" in the directory, and the header read so.
 */
export function personName(person: NamedPerson): string {
  const display = person.displayname?.trim();
  if (display) return display;
  const first = person.firstname?.trim() ?? '';
  const last = person.lastname?.trim() ?? '';
  const names = first.toLowerCase() === last.toLowerCase() ? [first] : [first, last];
  return names.filter(Boolean).join(' ') || person.username;
}

/** Who is signed in, for the header: the name, and the username beside it unless that is the name already. */
export function signedInName(person: NamedPerson): string {
  const name = personName(person);
  return name === person.username ? name : `${name} (${person.username})`;
}
