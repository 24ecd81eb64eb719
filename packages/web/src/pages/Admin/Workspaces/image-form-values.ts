import type { ImageView } from '@porthole/contracts';
import { blankToUndefined, numberOrUndefined } from '../../../modules/forms/use-schema-form';

export type ImageFormValues = {
  name: string;
  friendlyName: string;
  description: string;
  dockerImage: string;
  cores: number | string;
  memoryMb: number | string;
  shmMb: number | string;
  network: string;
  zoneId: string | null;
  agentId: string | null;
  enabled: boolean;
  categories: string[];
  icon: string;
  groupIds: string[];
  runConfig: string;
  execConfig: string;
};

const json = (v: unknown) => (v && Object.keys(v).length > 0 ? JSON.stringify(v, null, 2) : '');

export function imageFormValues(image: ImageView | null): ImageFormValues {
  return {
    name: image?.name ?? '',
    friendlyName: image?.friendlyName ?? '',
    description: image?.description ?? '',
    dockerImage: image?.dockerImage ?? '',
    cores: image?.cores ?? 1,
    memoryMb: image?.memoryMb ?? 2048,
    shmMb: image?.shmMb ?? 512,
    network: image?.network ?? '',
    zoneId: image?.zoneId ?? null,
    agentId: image?.agentId ?? null,
    enabled: image?.enabled ?? true,
    categories: image?.categories ?? [],
    icon: image?.icon ?? '',
    groupIds: image?.groupIds ?? [],
    runConfig: json(image?.runConfig),
    execConfig: json(image?.execConfig),
  };
}

function parseJson(text: string): unknown {
  return text.trim() === '' ? {} : JSON.parse(text);
}

/** JSON text fields that do not parse, by field: zod never sees them. */
export function checkImageJson(v: ImageFormValues): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const field of ['runConfig', 'execConfig'] as const) {
    try {
      const parsed = parseJson(v[field]);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        errors[field] = 'must be a JSON object';
    } catch (e) {
      errors[field] = `not valid JSON: ${(e as Error).message}`;
    }
  }
  return errors;
}

/** Form values → the body of POST/PATCH /api/admin/images. */
export function imagePayload(v: ImageFormValues, editing: boolean): Record<string, unknown> {
  const network = blankToUndefined(v.network);
  return {
    name: v.name.trim(),
    friendlyName: v.friendlyName.trim(),
    description: v.description,
    dockerImage: v.dockerImage.trim(),
    cores: numberOrUndefined(v.cores),
    memoryMb: numberOrUndefined(v.memoryMb),
    shmMb: numberOrUndefined(v.shmMb),
    network: network ?? (editing ? null : undefined),
    zoneId: v.zoneId,
    agentId: v.agentId,
    enabled: v.enabled,
    categories: v.categories,
    icon: blankToUndefined(v.icon) ?? null,
    groupIds: v.groupIds,
    runConfig: safeParse(v.runConfig),
    execConfig: safeParse(v.execConfig),
  };
}

function safeParse(text: string): unknown {
  try {
    return parseJson(text);
  } catch {
    return undefined;
  }
}
