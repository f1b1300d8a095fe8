// What a run's environment file must not keep in clear: values of names that
// look like credentials. Masked by name (TOKEN, SECRET, PASSWORD, KEY...),
// and, wherever a recorded value contains the value of such an environment
// variable (`CURL_FLAGS := -H "Authorization: $(GH_TOKEN)"`), that part too.
// A heuristic, documented in docs/history.md: a secret under an innocent name
// whose value is not also in a secret-named environment variable is kept.

/** Name parts that mark a value as a secret; matched case-insensitively anywhere in the name. */
export const SECRET_NAME_PARTS = ["TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "KEY", "CREDENTIAL", "AUTH", "COOKIE", "SESSION", "PRIVATE", "SIGNATURE", "CERT"] as const;

const SECRET_NAME = new RegExp(SECRET_NAME_PARTS.join("|"), "i");

/** What a masked value reads as. */
export const MASK = "***";

/** Shorter environment values are not searched for inside other values (`KEY=1` would mask every `1`). */
const MIN_SECRET_LENGTH = 6;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** Masks values by their own name, and secret environment values wherever they appear in a value. */
export class SecretMask {
  private readonly values: readonly string[];

  constructor(env: NodeJS.ProcessEnv) {
    const values: string[] = [];
    for (const [name, value] of Object.entries(env)) {
      if (value !== undefined && value.length >= MIN_SECRET_LENGTH && isSecretName(name)) values.push(value);
    }
    // Longest first: a secret containing another is replaced whole.
    this.values = values.sort((a, b) => b.length - a.length);
  }

  /** `value` as it may be recorded under `name`. */
  value(name: string, value: string): string {
    if (isSecretName(name)) return value === "" ? "" : MASK;
    return this.text(value);
  }

  /** Free text (a command-line word) with every secret environment value in it masked. */
  text(text: string): string {
    let out = text;
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join(MASK);
    return out;
  }

  /** A command-line word: `NAME=value` masked by its name, anything else as text. */
  word(word: string): string {
    const m = /^([A-Za-z_.][A-Za-z0-9_.-]*)=(.*)$/s.exec(word);
    return m === null ? this.text(word) : `${m[1] as string}=${this.value(m[1] as string, m[2] as string)}`;
  }
}
