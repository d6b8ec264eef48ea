// Just enough YAML for one Authelia client entry: a mapping of scalars and lists of scalars, with
// comments. Strings are single-quoted, as in Authelia's documentation, so nothing is re-typed
// (`no`, `on`, `1e3`...) and `$` in the digest needs no escaping.

export type Scalar = string | number | boolean;

export interface YamlField {
  readonly key: string;
  readonly value: Scalar | readonly Scalar[];
  /** Comment lines written above the key, without the leading "# ". */
  readonly comment?: readonly string[];
}

export function yamlScalar(value: Scalar): string {
  if (typeof value !== 'string') return String(value);
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new TypeError(`cannot write a control character in YAML: ${JSON.stringify(value)}`);
  return `'${value.replaceAll("'", "''")}'`;
}

/** The fields as one item of a YAML list, each line prefixed by `indent` spaces. */
export function yamlListItem(fields: readonly YamlField[], indent: number): string[] {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  fields.forEach((field, index) => {
    // The first key shares its line with the list dash; comments above it go before the dash.
    const keyPad = index === 0 ? `${pad}- ` : `${pad}  `;
    for (const comment of field.comment ?? []) lines.push(`${pad}${index === 0 ? '' : '  '}# ${comment}`.trimEnd());
    if (Array.isArray(field.value)) {
      lines.push(`${keyPad}${field.key}:`);
      for (const item of field.value as readonly Scalar[]) lines.push(`${pad}    - ${yamlScalar(item)}`);
    } else {
      lines.push(`${keyPad}${field.key}: ${yamlScalar(field.value as Scalar)}`);
    }
  });
  return lines;
}
