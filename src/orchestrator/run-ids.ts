/** Run ids are epoch microseconds: they sort by creation time; the metadata store rejects duplicates. */
export function newRunId(): string {
  return String(Math.round((performance.timeOrigin + performance.now()) * 1000));
}
