import type { ActivityItem } from './activity-api';

/**
 * The summary with the person's and the application's names where it has their ids (the log keeps
 * what the event carried, often ids only): "nolast signed in to JIT Demo SP", not two UUIDs.
 */
export function readable(item: ActivityItem, username: Map<string, string>, appName: Map<string, string>): string {
  let text = item.summary;
  const person = item.userId ? username.get(item.userId) : undefined;
  if (item.userId && person) text = text.replaceAll(`${person} (${item.userId})`, person).replaceAll(item.userId, person);
  const app = item.applicationId ? appName.get(item.applicationId) : undefined;
  if (item.applicationId && app) {
    text = text
      .replaceAll(`application ${item.applicationId} (${app})`, app)
      .replaceAll(`application ${item.applicationId}`, app)
      .replaceAll(item.applicationId, app);
  }
  return text;
}
