// The workspace images Porthole ships, in build order (a parent always precedes its children).
export const imageNames = ['desktop', 'desktop-deluxe', 'firefox'] as const;
export type ImageName = (typeof imageNames)[number];

export interface ImageSpec {
  /** Also the folder under images/ and the repository under the namespace (`porthole/<name>`). */
  name: ImageName;
  /** Image this one is built FROM (passed as the PARENT build arg); none means the Debian base. */
  parent?: ImageName;
}

export const catalogue: readonly ImageSpec[] = [
  { name: 'desktop' },
  { name: 'desktop-deluxe', parent: 'desktop' },
  { name: 'firefox', parent: 'desktop' },
];

export const defaultNamespace = 'porthole';

/** Repository without tag; the builder tags `<repository>:<version>` and `<repository>:latest`. */
export function repositoryOf(name: ImageName, namespace: string = defaultNamespace): string {
  return `${namespace}/${name}`;
}

export function isImageName(value: string): value is ImageName {
  return (imageNames as readonly string[]).includes(value);
}

export function specOf(name: ImageName): ImageSpec {
  const spec = catalogue.find((s) => s.name === name);
  if (!spec) throw new Error(`no image called ${name}`);
  return spec;
}

/**
 * The requested images plus every ancestor they need, grouped into levels: each level only
 * depends on earlier ones, so the images inside a level can build side by side.
 */
export function buildPlan(names?: readonly ImageName[]): ImageSpec[][] {
  const wanted = new Set<ImageName>();
  const add = (name: ImageName): void => {
    if (wanted.has(name)) return;
    wanted.add(name);
    const parent = specOf(name).parent;
    if (parent) add(parent);
  };
  for (const name of names && names.length > 0 ? names : imageNames) add(name);

  const depth = (spec: ImageSpec): number => (spec.parent ? depth(specOf(spec.parent)) + 1 : 0);
  const levels: ImageSpec[][] = [];
  for (const spec of catalogue) {
    if (!wanted.has(spec.name)) continue;
    const d = depth(spec);
    levels[d] = [...(levels[d] ?? []), spec];
  }
  return levels.filter((level) => level.length > 0);
}
