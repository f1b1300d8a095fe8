/** flow's exit codes, as documented in the README. */
export const EXIT = {
  ok: 0,
  taskFailed: 1,
  usage: 2,
  interrupted: 130,
  internal: 70,
} as const;
