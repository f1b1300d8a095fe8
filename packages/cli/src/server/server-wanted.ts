/**
 * Whether this build wants the watching server (started on demand if none
 * runs): `--server`, or FLOW_SERVER=1 in the environment. FLOW_SERVER=0 (or
 * empty, or unset) leaves it to the option.
 */
export function serverWanted(option: boolean, env: NodeJS.ProcessEnv): boolean {
  if (option) return true;
  const v = env["FLOW_SERVER"];
  return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false" && v.toLowerCase() !== "no";
}
