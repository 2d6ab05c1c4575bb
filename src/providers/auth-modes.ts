// Rules shared by providers whose keys authenticate in one of several modes (Azure's api-key /
// entra / managed, Bedrock's accessKey / assumedRole / apiKey): each mode owns some fields, a
// mode's required fields must be there, and another mode's fields are refused rather than ignored.

import { invalidRequest } from '../errors';

export type ModeFields<Mode extends string, Field extends string> = Record<Mode, readonly Field[]>;

/** The value of a field the mode requires, or a 400 naming the field, the mode and where it is set. */
export function requiredField<Field extends string>(
  fields: Partial<Record<Field, string | undefined>>,
  field: Field,
  mode: { setting: string; value: string },
): string {
  const value = fields[field];
  if (typeof value !== 'string' || value === '') {
    throw invalidRequest('missing_field', `${field}: required when ${mode.setting} is ${mode.value}`, field);
  }
  return value;
}

/** A 400 for the first field that belongs to another mode than `mode`. */
export function refuseOtherModesFields<Mode extends string, Field extends string>(
  fields: Partial<Record<Field, unknown>>,
  fieldsByMode: ModeFields<Mode, Field>,
  mode: { setting: string; value: Mode },
): void {
  for (const [otherMode, names] of Object.entries(fieldsByMode) as Array<[Mode, readonly Field[]]>) {
    if (otherMode === mode.value) continue;
    const foreign = names.find((name) => fields[name] !== undefined && !fieldsByMode[mode.value].includes(name));
    if (foreign) {
      throw invalidRequest('field_not_applicable', `${foreign} applies only to ${mode.setting} ${otherMode}, not ${mode.value}`, foreign);
    }
  }
}
