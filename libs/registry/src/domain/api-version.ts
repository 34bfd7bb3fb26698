/** An NMOS API version as `vMAJOR.MINOR`. */
export interface ApiVersion {
  major: number;
  minor: number;
}

export function parseApiVersion(text: string): ApiVersion | undefined {
  const match = /^v(\d+)\.(\d+)\/?$/.exec(text.trim());
  return match ? { major: Number(match[1]), minor: Number(match[2]) } : undefined;
}

/** Compares as integers: v1.10 is newer than v1.9 (as strings it would not be). */
export function compareApiVersions(a: ApiVersion, b: ApiVersion): number {
  return a.major - b.major || a.minor - b.minor;
}

export function formatApiVersion(version: ApiVersion): string {
  return `v${version.major}.${version.minor}`;
}

/** The newest version both we and the registry speak, or undefined when there is none. */
export function newestCommonVersion(ours: string[], theirs: string[]): string | undefined {
  const supported = new Set(
    ours
      .map((v) => parseApiVersion(v))
      .filter((v) => v !== undefined)
      .map(formatApiVersion),
  );
  const common = theirs
    .map((v) => parseApiVersion(v))
    .filter((v): v is ApiVersion => v !== undefined && supported.has(formatApiVersion(v)))
    .sort(compareApiVersions);
  return common.length > 0 ? formatApiVersion(common[common.length - 1]) : undefined;
}
