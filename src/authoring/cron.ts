/**
 * Checking cron expressions as Argo Workflows (and Kubernetes CronJobs) read them: five fields,
 * minute hour day-of-month month day-of-week, each `*`, a number, a range `a-b`, a step `*\/n` or
 * `a-b/n`, or a comma-separated list of those; months and week days may be written as names
 * (`JAN`, `MON`). The macros `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly` are accepted too.
 */

interface Field {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  // 7 is Sunday too, as in cron.
  { name: 'day of week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
];

const MACROS = ['@hourly', '@daily', '@midnight', '@weekly', '@monthly', '@yearly', '@annually'];

function value(text: string, f: Field): number | string {
  const named = f.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return f.name === 'month' ? named + 1 : named;
  if (!/^\d+$/.test(text)) return `'${text}' is not a number${f.names ? ` or a name (${f.names.join(', ')})` : ''}`;
  const n = Number(text);
  if (n < f.min || n > f.max) return `${n} is outside ${f.min}-${f.max}`;
  return n;
}

function checkField(text: string, f: Field): string | undefined {
  for (const part of text.split(',')) {
    if (part === '') return 'has an empty list entry';
    const [range, step, extra] = part.split('/');
    if (extra !== undefined) return `'${part}' has two steps`;
    if (step !== undefined && !/^[1-9]\d*$/.test(step)) return `'${part}' has a step that is not a positive whole number`;
    if (range === '*' || range === '?') continue;
    const ends = range!.split('-');
    if (ends.length > 2) return `'${part}' is not a range a-b`;
    const vals = ends.map((e) => value(e, f));
    const wrong = vals.find((v) => typeof v === 'string');
    if (wrong !== undefined) return wrong as string;
    if (vals.length === 2 && (vals[0] as number) > (vals[1] as number)) return `the range '${range}' ends before it starts`;
  }
  return undefined;
}

/** Why `expr` is not a cron expression Argo accepts, or undefined when it is one. */
export function cronProblem(expr: string): string | undefined {
  const text = expr.trim();
  if (text.startsWith('@')) return MACROS.includes(text) ? undefined : `'${text}' is not one of ${MACROS.join(', ')}`;
  const fields = text.split(/\s+/);
  if (fields.length !== 5) {
    return `it has ${fields.length} field${fields.length === 1 ? '' : 's'}; a cron expression has five: minute hour day-of-month month day-of-week (e.g. '0 6 * * MON-FRI')`;
  }
  for (let i = 0; i < 5; i++) {
    const problem = checkField(fields[i]!, FIELDS[i]!);
    if (problem) return `its ${FIELDS[i]!.name} field '${fields[i]}': ${problem}`;
  }
  return undefined;
}

/** Whether `tz` is an IANA time zone this Node knows (`Europe/Paris`, `UTC`). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return tz.trim() !== '';
  } catch {
    return false;
  }
}

/**
 * A valid cron expression as Argo's schema wants it: single spaces, and month and day names as
 * numbers (`0 6 * * MON-FRI` → `0 6 * * 1-5`). Call `cronProblem` first.
 */
export function normalizeCron(expr: string): string {
  const text = expr.trim();
  if (text.startsWith('@')) return text;
  return text
    .split(/\s+/)
    .map((field, i) => {
      const names = FIELDS[i]!.names;
      if (!names) return field;
      return field.replace(/[A-Za-z]+/g, (name) => String(value(name, FIELDS[i]!)));
    })
    .join(' ');
}
