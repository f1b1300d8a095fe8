import { availableParallelism, loadavg } from "node:os";
import { parseMakeflags } from "../run/makeflags.js";
import { planOnly } from "./plan-only.js";
import { Command, Option } from "./clipanion.js";
import { RemoteCommand } from "./remote-command.js";
import { assumeFreshMatcher, formatDiagnostic, selectTasks, unmatchedPatterns, type BuildEvent, type Task, type TaskGraph, type TaskResult } from "@flow/graph";
import { afterBuild } from "../run/cache-upkeep.js";
import { unknownTagMessage } from "../render/tag-message.js";
import { includeBuilder, type IncludeTaskResult } from "../run/include-builder.js";
import { openBuildSession } from "../run/build-session.js";
import { SLURM_DEFAULT_JOBS, slurmSettings } from "../run/slurm-settings.js";
import { loadProjectBuildingIncludes, locateProject } from "../project/load-project.js";
import { NodeProjectHost } from "../project/node-project-host.js";
import { checkState, DiscoveredLog, readState, saveState, stateRequest, type LoadedProject, type SavedState } from "../run/build-state.js";
import { settledOutput, WriteTap } from "../server/noop-settle.js";
import { serverVersion } from "../server/server-protocol.js";
import { historyLimits } from "../history/run-bounds.js";
import { isatty } from "node:tty";
import { openServer } from "../server/open-server.js";
import { serverWanted } from "../server/server-wanted.js";
import { statSync } from "node:fs";
import type { StatLike } from "@flow/cache";
import { WhyLines } from "../render/plan-render-why.js";
import { TextRenderer } from "../render/render.js";
import { outputLogsMode } from "../render/output-logs.js";
import { parseColorMode } from "../render/color.js";
import { terminalOutput } from "../render/terminal-output.js";
import { EXIT } from "../exit-codes.js";
import { remoteSummary } from "../render/remote-summary.js";
import type { RemoteReport } from "../render/remote-summary.js";
import { warmRemote, warmSummary, type WarmReport } from "../run/cache-warm.js";
import { readingEnv, recursion, reportToParent, type Recursion } from "../run/recursion.js";
import type { SubTask } from "../run/sub-make.js";
import { RunRecorder } from "../history/run-record.js";
import { scheduleHints } from "../run/schedule-hints.js";
import { readDurations } from "../run/durations.js";

export class BuildCommand extends RemoteCommand {
  static override paths = [["build"]];

  static override usage = Command.Usage({
    description: "build targets, running only what changed",
    details: `
      Builds the given targets (default: the Flowfile's first rule) and everything they need.
      A task runs only when its key (recipe, inputs' contents, dependencies' outputs, .ENV values)
      has no result in the cache; otherwise its outputs are left alone or restored from the cache.

      With --assume-fresh PATTERN (make's -o/--assume-old, for tasks; repeatable), every task whose
      name PATTERN matches (% stands for any text, as in make's $(filter)) is taken as fresh: not run and
      not restored, and its outputs on disk are used as they are, each of which must exist (a missing
      one fails the task). Risk: outputs made by an older recipe or from older inputs flow into the
      tasks that read them; those are cached under the bytes they really read, so nothing wrong is
      shared, but their results are only as right as the outputs assumed. See docs/flowfile.md.

      Exit codes: 0 success, 1 a task failed, 2 a bad Flowfile or usage, 130 interrupted.
    `,
    examples: [
      ["Build the default goal", "$0 build"],
      ["Build a target in another directory with 8 jobs", "$0 build -C recipes/c-project -j 8 build/app"],
      ["Override a variable", "$0 build CFLAGS=-O0"],
      ["Keep going after a failure and print a JSON summary", "$0 build -k --json"],
      ["Build the tasks tagged check and what they need", "$0 build --tag check"],
      ["Build from the points already on disk, without rerunning the phase that makes them", "$0 build --assume-fresh 'out/points/%'"],
    ],
  });

  jobs = Option.String("-j,--jobs", { description: "Run at most N tasks at once (default: number of cores; -j alone: no limit)" });
  loadAverage = Option.String("-l,--load-average", { description: "Start no new task while the load average is at or above N (one task still runs)" });
  keepGoing = Option.Boolean("-k,--keep-going", false, { description: "Go on with everything that does not depend on a failure" });
  force = Option.Boolean("-B,--always-make,--force", false, { description: "Rerun the selected tasks even when cached" });
  dryRun = Option.Boolean("-n,--dry-run,--just-print", false, { description: "Print the recipes that would run, expanded; run nothing" });
  question = Option.Boolean("-q,--question", false, { description: "Run nothing, print nothing: exit 0 if nothing would run, else 1" });
  silent = Option.Boolean("-s,--silent,--quiet", false, { description: "No line per task and no summary (failures, warnings and what tasks print still show)" });
  ignoreErrors = Option.Boolean("-i,--ignore-errors", false, { description: "Ignore recipes' failing commands (each recipe runs with set +e)" });
  environmentOverrides = Option.Boolean("-e,--environment-overrides", false, { description: "Environment values beat the Flowfile's assignments" });
  json = Option.Boolean("--json", false, { description: "Print the summary as one JSON document on stdout" });
  verbose = Option.Boolean("-v,--verbose", false, { description: "Echo each recipe before it runs; also list tasks that were up to date" });
  outputLogs = Option.String("--output-logs", { description: "What tasks printed to show: full (also cache hits' logs), new (default: tasks that ran), errors, none (also FLOW_OUTPUT_LOGS)" });
  explain = Option.Boolean("--explain", false, { description: "Say why each task that runs runs, one line each (see flow explain)" });
  tags = Option.Array("--tag", [], { description: "Also build the tasks tagged T (repeatable: the union)" });
  assumeFresh = Option.Array("--assume-fresh", [], { description: "Take the tasks PATTERN matches (% wildcard; repeatable) as fresh: not run or restored, their outputs on disk used as they are" });
  noWait = Option.Boolean("--no-wait", false, { description: "Fail at once if another build or clean holds the workspace lock" });
  noBuiltinRules = Option.Boolean("-r,--no-builtin-rules", false, { description: "No built-in rules (make's %.o: %.c and others), as make -r" });
  noBuiltinVariables = Option.Boolean("-R,--no-builtin-variables", false, { description: "No built-in variables (CC, COMPILE.c ...) and no built-in rules, as make -R" });
  watch = Option.Boolean("--watch", false, { description: "After building, watch the project and build again when files change (Ctrl-C stops)" });
  color = Option.String("--color", { description: "Colour: auto (on a terminal, unless NO_COLOR or CI is set), always or never" });
  server = Option.Boolean("--server", false, { description: "Ask the project's watching server what changed, starting one if none runs (also FLOW_SERVER=1)" });
  profile = Option.String("--profile", { description: "Write a Chrome trace of the build to FILE (open it in Perfetto: one track per job slot)" });
  executor = Option.String("--executor", { description: "Where recipes run: slurm (as Slurm batch jobs, docs/cluster.md) or local; beats each task's .EXECUTOR (also FLOW_EXECUTOR)" });
  slurmArgs = Option.String("--slurm-args", { description: "sbatch options for every job, before each task's .SLURM (also FLOW_SLURM_ARGS)" });
  slurmRetries = Option.String("--slurm-retries", { description: "Submit a job that ended by NODE_FAIL or PREEMPTED again up to N times (default 1)" });
  words = Option.Rest({ name: "targets and VAR=value" });

  /** `flow cache warm`: the build restores from the remote read-only, then uploads what it lacks (cache-warm.ts). */
  protected readonly warming: boolean = false;

  /** Set while --watch runs: each round is this execute() again (watch-loop.ts). */
  private watching = false;

  override async execute(): Promise<number> {
    if (this.watch && !this.watching) {
      this.watching = true;
      // Loaded only here: the watcher's native module is no part of a plain build's start-up.
      const { watchBuilds } = await import("../server/watch-loop.js");
      return watchBuilds({ cwd: process.cwd(), dir: this.dir, file: this.file, out: this.json ? this.context.stderr : this.context.stdout, build: () => this.execute() });
    }
    // What the build prints, noted: a no-op that printed only its summary may be answered by the server next time.
    const tap = new WriteTap();
    const err = tap.wrap(this.context.stderr, 2);
    const stdout = tap.wrap(this.context.stdout, 1);
    // make's flags from an outer make (or the user's environment); the command line's win.
    const mf = parseMakeflags(process.env["MAKEFLAGS"]);
    const flag = (given: boolean, letter: string) => given || mf.letters.has(letter);
    const keepGoing = flag(this.keepGoing, "k");
    const force = flag(this.force, "B");
    const dryRun = flag(this.dryRun, "n");
    const question = flag(this.question, "q");
    const silent = flag(this.silent, "s");
    const ignoreErrors = flag(this.ignoreErrors, "i");
    const environmentOverrides = flag(this.environmentOverrides, "e");
    // Validated here rather than with typanion: importing typanion as ESM costs ~200 ms of start-up.
    const jobsText = this.jobs ?? (mf.jobs === undefined || mf.jobserverAuth !== undefined ? undefined : String(mf.jobs));
    const jobsGiven = jobsText === undefined ? undefined : jobsText === "unlimited" ? Infinity : /^[0-9]+$/.test(jobsText) ? Number(jobsText) : NaN;
    if (jobsGiven !== undefined && !(jobsGiven === Infinity || (Number.isInteger(jobsGiven) && jobsGiven >= 1))) {
      err.write(`flow: -j needs a whole number of at least 1 (or nothing: no limit), got ${jobsText}\n`);
      return EXIT.usage;
    }
    const loadText = this.loadAverage ?? (mf.loadAverage === undefined ? undefined : String(mf.loadAverage));
    const maxLoad = loadText === undefined || loadText === "unlimited" ? undefined : /^[0-9]+(\.[0-9]+)?$|^\.[0-9]+$/.test(loadText) ? Number(loadText) : NaN;
    if (maxLoad !== undefined && Number.isNaN(maxLoad)) {
      err.write(`flow: -l needs a number (a load average, e.g. 2.5), got ${loadText}\n`);
      return EXIT.usage;
    }
    const colorMode = parseColorMode(this.color);
    if (colorMode === undefined) {
      err.write(`flow: --color takes auto, always or never, got ${this.color}\n`);
      return EXIT.usage;
    }
    const assumed = assumeFreshMatcher(this.assumeFresh);
    if (!assumed.ok || (this.warming && assumed.assume !== undefined)) {
      err.write(`flow: ${assumed.ok ? "cache warm uploads what a build made and takes no --assume-fresh" : assumed.message}\n`);
      return EXIT.usage;
    }
    const assume = assumed.assume;
    if (dryRun || question) {
      // The Makefile is read as the build reads it ($(MAKE), $(MAKEFLAGS), $(MAKELEVEL)), but no jobserver is joined: nothing runs.
      const reading = readingEnv(process.env, this.words, availableParallelism());
      return planOnly(
        { cwd: process.cwd(), ...(this.dir !== undefined ? { dir: this.dir } : {}), ...(this.file !== undefined ? { file: this.file } : {}), words: reading.words, env: reading.env, environmentOverrides },
        { cacheDir: this.cacheDir, tags: this.tags, force, ...(assume ? { assume } : {}), mode: question ? "question" : "dry-run", json: this.json, out: this.context.stdout, err },
      );
    }
    // The run history (docs/history.md): told the outcome at the end.
    const history = new RunRecorder({ args: process.argv.slice(2), cwd: process.cwd(), words: this.words, env: process.env });
    // Recursive make: $(MAKE), MAKEFLAGS, MAKELEVEL and the jobserver (recursion.ts).
    // make's letters in force go down to sub-builds in MAKEFLAGS, as make passes them (and -r/-R reach the Makefile's reader).
    const letters = new Set([...mf.letters].filter((c) => "BeikrRs".includes(c)));
    for (const [on, c] of [[keepGoing, "k"], [force, "B"], [silent, "s"], [ignoreErrors, "i"], [environmentOverrides, "e"], [this.noBuiltinRules, "r"], [this.noBuiltinVariables, "R"]] as const) if (on) letters.add(c);
    const slurm = slurmSettings({ executor: this.executor, slurmArgs: this.slurmArgs, slurmRetries: this.slurmRetries }, process.env);
    if (!slurm.ok) {
      err.write(`flow: ${slurm.message}\n`);
      return EXIT.usage;
    }
    // Under Slurm, -j counts jobs queued or running on the cluster, not this machine's cores.
    const defaultJobs = slurm.settings.executor === "slurm" ? SLURM_DEFAULT_JOBS : availableParallelism();
    const rec: Recursion = recursion({ env: process.env, jobsGiven, defaultJobs, letters, words: this.words });
    const jobs = rec.concurrency;
    const remote = this.remoteSetup();
    if (!remote.ok) {
      err.write(`flow: ${remote.message}\n`);
      return EXIT.usage;
    }
    if (this.warming && remote.settings === undefined) {
      if (remote.warning) err.write(`flow: ${remote.warning.message}\n`);
      err.write("flow: cache warm needs a remote cache: set FLOW_REMOTE_URL (or --remote-url) and FLOW_REMOTE_TOKEN\n");
      return EXIT.usage;
    }
    const outputLogs = outputLogsMode(this.outputLogs, process.env);
    if (!outputLogs.ok) {
      err.write(`flow: ${outputLogs.message}\n`);
      return EXIT.usage;
    }
    const progress = this.json ? err : stdout;
    const progressFd = this.json ? 2 : 1;
    // On a terminal, the build's lines scroll above a live display (terminal-output.ts); plain lines otherwise.
    const term = await terminalOutput(this.json ? this.context.stderr : this.context.stdout, colorMode, process.env);
    const renderer = new TextRenderer(term.live === undefined ? progress : tap.wrap(term.out, progressFd), process.cwd(), this.verbose, silent, term.paint);
    renderer.outputLogs = outputLogs.mode;
    if (rec.warning !== undefined) renderer.warning(rec.warning);
    const includeTasks: IncludeTaskResult[] = [];
    const projectReq = {
      cwd: process.cwd(),
      ...(this.dir !== undefined ? { dir: this.dir } : {}),
      ...(this.file !== undefined ? { file: this.file } : {}),
      words: rec.words,
      env: rec.readEnv,
      environmentOverrides,
      noBuiltinRules: this.noBuiltinRules,
      noBuiltinVariables: this.noBuiltinVariables,
    };
    // The persistent build state (build-state.ts): when the last build's still holds, no Flowfile is
    // read and no graph built, and the tasks it vouches for are fresh without a key or a look-up.
    const located = locateProject(projectReq);
    if (located.ok) renderer.root = located.value.root;
    // Under --assume-fresh no state is read or written: it would vouch for what nobody checked (decide-task.ts).
    const stateReq = located.ok && !this.warming && assume === undefined && process.env["FLOW_STATE"] !== "off" ? stateRequest(located.value, { environmentOverrides, ignoreErrors, noBuiltinRules: this.noBuiltinRules, noBuiltinVariables: this.noBuiltinVariables }) : undefined;
    let takeStat: (p: string) => StatLike | undefined = (p) => statSync(p, { throwIfNoEntry: false });
    const sessionFor = (root: string) =>
      openBuildSession({
        root,
        cacheDir: this.cacheDirFor(root),
        env: process.env,
        renderer,
        err,
        noWait: this.noWait,
        stat: (p) => takeStat(p),
        logNotes: true,
        slurm: slurm.settings,
        subMake: rec.subMake((task, tasks) => {
          subTasks.set(task, tasks);
          renderer.subBuild(task, tasks);
        }),
        // Warm uploads after the build, itself, so that nothing is uploaded twice and its counts are exact.
        ...(remote.settings ? { remote: this.warming ? { ...remote.settings, config: { ...remote.settings.config, readOnly: true } } : remote.settings } : {}),
      });
    /** What the sub-builds each task's recipe ran reported (`$(MAKE)` in a recipe). */
    const subTasks = new Map<string, SubTask[]>();
    let session: Awaited<ReturnType<typeof sessionFor>>;
    let loaded: LoadedProject | undefined;
    /** What became of the state, for --json: held (and what it vouched for), or why not. */
    let stateReport: { held: boolean; why?: string; vouched?: number; statted?: number; server?: "none" | "unknown" | "changes" } | undefined;
    const stored = stateReq === undefined ? undefined : readState(this.cacheDirFor(stateReq.root), stateReq);
    // The watching server (docs/server.md), when one runs or this build wants one: it says what changed
    // since the state's token, so that only those paths are stat'ed. Asked before anything is read.
    const server = stateReq === undefined ? undefined : await openServer(stateReq.root, serverWanted(this.server, process.env));
    let token: string | undefined;
    let changes: readonly string[] | undefined;
    const askServer = async () => {
      if (server === undefined) return;
      const r = await server.changesSince(stored?.token ?? undefined);
      token = r.token === "" ? undefined : r.token;
      changes = r.changed === "unknown" ? undefined : r.changed;
    };
    if (stored !== undefined && stateReq !== undefined) {
      // Checked under the lock: another build's writes must not slip between the check and this build.
      session = await sessionFor(stateReq.root);
      if (session === undefined) {
        server?.close();
        return EXIT.taskFailed;
      }
      await askServer();
      const checked = checkState(stored, { host: new NodeProjectHost(stateReq.root, rec.readEnv, stateReq.top), readEnv: rec.readEnv, env: process.env, force, cacheDir: this.cacheDirFor(stateReq.root), ...(changes !== undefined ? { changes } : {}) });
      if (checked.ok) {
        const table = checked.state.stats;
        takeStat = (p) => {
          const st = table.take(p);
          return st === undefined ? statSync(p, { throwIfNoEntry: false }) : st === null ? undefined : st;
        };
        stateReport = { held: true, vouched: checked.state.priors.size, statted: checked.state.statted, server: server === undefined ? "none" : changes === undefined ? "unknown" : "changes" };
        loaded = { root: stateReq.root, graph: checked.state.graph, targetsGiven: stateReq.targets.length > 0, warnings: checked.state.warnings, shape: { stored }, checked: checked.state, variables: checked.state.variables };
      } else {
        stateReport = { held: false, why: checked.why };
        await session.close();
        session = undefined;
      }
    }
    if (loaded === undefined) {
      stateReport ??= { held: false, why: stateReq === undefined ? "no state is kept for this build" : "no state yet" };
      // The cold path reads everything: the token is taken before it does (changes after it come next time).
      if (token === undefined) await askServer();
      // Included files that a rule makes are built first, then the Flowfile is read again (see load-project.ts).
      const includes = includeBuilder({
        cwd: process.cwd(),
        cacheDir: this.cacheDir,
        env: process.env,
        jobs,
        renderer,
        out: progress,
        err,
        noWait: this.noWait,
        onTask: (t) => includeTasks.push(t),
      });
      const project = await loadProjectBuildingIncludes(projectReq, includes);
      if (!project.ok) {
        if (project.error.diagnostic) err.write(`${formatDiagnostic(project.error.diagnostic)}\n`);
        return project.error.exitCode ?? EXIT.usage;
      }
      const host = project.value.host;
      takeStat = (p) => host.takeStat(p);
      const variables = history.variablesOf(project.value.model);
      const shape = host.shape.unsupported === undefined && includeTasks.length === 0 ? { record: host.shape, readEnv: rec.readEnv, variables } : undefined;
      loaded = { root: project.value.root, graph: ignoreErrors ? ignoringErrors(project.value.graph) : project.value.graph, targetsGiven: project.value.targets.length > 0, warnings: project.value.warnings, shape, variables };
    }
    const { root, graph } = loaded;
    const selection = selectTasks(graph, { targetsGiven: loaded.targetsGiven, tags: this.tags });
    if (selection.unknownTags.length > 0) {
      err.write(`${unknownTagMessage(graph, selection.unknownTags)}; nothing built\n`);
      if (session !== undefined) await session.close();
      return EXIT.usage;
    }
    session ??= await sessionFor(root);
    if (session === undefined) return EXIT.taskFailed;
    if (remote.warning) renderer.warning(remote.warning);
    for (const w of loaded.warnings) renderer.warning(w);
    for (const p of unmatchedPatterns(this.assumeFresh, graph.tasks)) renderer.warning({ code: "ASSUME_FRESH_UNMATCHED", message: `--assume-fresh '${p}' matches no task` });
    // --explain: the reason each run's decision carries, printed as it starts (see plan-render-why.ts).
    const why = this.explain ? new WhyLines(term.out) : undefined;
    const discovered = new DiscoveredLog();
    // Loaded only with --profile: nothing of it is part of a plain build's start-up.
    const profile = this.profile === undefined ? undefined : new (await import("../render/trace-profile.js")).TraceProfile(this.profile, process.cwd());
    const emit = (e: BuildEvent) => {
      profile?.observe(e);
      history.observe(e);
      why?.observe(e);
      discovered.observe(e);
      term.live?.observe(e);
      renderer.handle(e);
    };
    const priors = loaded.checked?.priors;
    let outcome;
    let saved: SavedState | undefined;
    let runNumber: number | undefined;
    let remoteReport: RemoteReport | undefined;
    let warm: WarmReport | undefined;
    // Each task's last recorded duration (run/durations.ts), read once and only when asked: by the live
    // display's ETA, or by the scheduler (which a build the state vouches for entirely never starts).
    let durationsRead: Map<string, number> | undefined;
    const durations = () => (durationsRead ??= readDurations(root));
    term.live?.expect(graph, selection.roots, durations());
    try {
      outcome = await session.build({
        graph,
        roots: selection.roots,
        emit,
        concurrency: jobs,
        keepGoing,
        force,
        replayLogs: outputLogs.mode === "full",
        ...(maxLoad !== undefined ? { mayStart: () => (loadavg()[0] ?? 0) < maxLoad } : {}),
        ...(priors !== undefined && priors.size > 0 ? { prior: (t: Task) => priors.get(t.id) } : {}),
        ...scheduleHints(durations, process.env, (w) => renderer.warning(w)),
        // Always timed: the run history keeps a timeline (history/run-timeline.ts); the profile's clock is the same one.
        profileClock: profile?.clock ?? history.clock,
        ...(assume ? { assume } : {}),
      });
      profile?.save((w) => renderer.warning(w));
      if (!session.interrupted && stateReq !== undefined && loaded.shape !== undefined && stateReq.root === root) {
        saved = saveState({
          cacheDir: this.cacheDirFor(root),
          request: stateReq,
          shape: loaded.shape,
          graph,
          warnings: loaded.warnings,
          outcome,
          discovered,
          statMemo: session.cache.statMemo,
          ...(loaded.checked !== undefined ? { checked: loaded.checked } : {}),
          env: process.env,
          ...(token !== undefined ? { token } : {}),
          watchInfo: server !== undefined,
        });
      }
      if (this.warming && remote.settings !== undefined && !session.interrupted) {
        warm = await warmRemote({ cache: session.cache, hasher: session.hasher, cacheDir: this.cacheDirFor(root), settings: remote.settings, onWarning: (w) => renderer.warning(w) }, graph, outcome);
      }
      if (!session.interrupted) await afterBuild(session.cache, graph, outcome, progress, process.env);
      runNumber = history.finish({ root, graph, outcome, interrupted: session.interrupted, variables: loaded.variables, durations: durationsRead });
    } catch (e) {
      server?.close();
      throw e;
    } finally {
      term.live?.stop();
      remoteReport = await session.close();
      rec.close();
    }
    if (outcome !== undefined) reportToParent(process.env, root, graph, outcome, subTasks);
    if (remoteReport !== undefined && !this.json && !this.warming) progress.write(remoteSummary(remoteReport));
    if (assume !== undefined) progress.write(assumedNote(graph, outcome.order, outcome.results));
    if (warm !== undefined && !this.json) progress.write(warmSummary(warm));
    const interrupted = session.interrupted;
    const whyTexts = why?.texts;
    if (this.json) {
      const tasks = outcome.order.map((id) => {
        const task = graph.tasks[id] as Task;
        const sub = subTasks.get(task.name);
        // `sub`: the tasks of the sub-builds its recipe ran ($(MAKE)), named from this build's directory.
        return { ...jsonTask(task, outcome.results.get(id) as TaskResult, whyTexts?.get(id)), ...(sub !== undefined ? { sub } : {}) };
      });
      // `includes`: the tasks that made generated includes, per round (only when the Flowfile has some).
      const doc = { ok: outcome.ok && !interrupted, tasks, ...(includeTasks.length > 0 ? { includes: includeTasks } : {}), ...(remoteReport ? { remote: remoteReport } : {}), ...(warm ? { warm } : {}), ...(stateReport ? { state: stateReport } : {}) };
      stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    }
    if (server !== undefined) {
      // A no-op the server can vouch for alone: the same build again is answered by it (settled-noops.ts).
      const printed = settledOutput(tap, progressFd, silent, this.json);
      const historyOff = historyLimits(process.env).maxRuns === 0;
      const blocker =
        printed === undefined ? "it printed more than its summary"
        : token === undefined ? "no change token"
        : saved?.serverSeesAll !== true ? (saved === undefined ? "no state saved" : "the server cannot vouch for all of its state")
        : interrupted || !outcome.ok ? "it failed or was interrupted"
        : runNumber === undefined && !historyOff ? "its run was not recorded"
        : includeTasks.length > 0 || subTasks.size > 0 ? "it built includes or ran sub-builds"
        : remote.settings !== undefined || this.warming || assume !== undefined || profile !== undefined || this.verbose || outputLogs.mode === "full" || force ? "one of its options"
        : SUB_BUILD_ENV.some((name) => process.env[name] !== undefined) ? "it is a sub-build"
        : !outcome.order.every((id) => outcome.results.get(id)?.status === "up-to-date") ? "not every task was up to date"
        : undefined;
      // (The blocker is not printed: a build prints the same whether or not a repeat of it can be answered.)
      if (blocker === undefined && printed !== undefined && token !== undefined && saved !== undefined) {
        let hits = 0;
        for (const id of outcome.order) if (graph.tasks[id]?.recipe !== "") hits++;
        const again = this.json ? `${JSON.stringify({ ok: true, tasks: outcome.order.map((id) => ({ ...jsonTask(graph.tasks[id] as Task, outcome.results.get(id) as TaskResult, undefined), durationMs: 0 })), state: { held: true, vouched: outcome.order.length, statted: 0, server: "noop" } }, null, 2)}\n` : "";
        await server.settle({
          version: serverVersion(),
          argv: process.argv.slice(2),
          cwd: process.cwd(),
          env: process.env as Record<string, string>,
          tty: [isatty(1), isatty(2)],
          token,
          statePath: saved.path,
          cacheDir: this.cacheDirFor(root),
          run: historyOff ? null : (runNumber as number),
          hits,
          summary: printed.summary,
          stdout: again,
        });
      }
      server.close();
    }
    if (interrupted) return EXIT.interrupted;
    return outcome.ok ? EXIT.ok : EXIT.taskFailed;
  }
}

/** Set when this build is a sub-build or part of a make's jobserver: its report goes to a parent, which a server's answer would skip. */
const SUB_BUILD_ENV = ["MAKEFLAGS", "MAKELEVEL", "MFLAGS", "FLOW_PARENT_RESULTS", "FLOW_LOCK_TOKENS"];

/**
 * make -i: every recipe runs with `set +e` (a failing command does not stop
 * it, as each of make's lines would be ignored) and ends with `:` (its
 * status is success). The recipe text is the key's, so these results are
 * cached apart from the ones of a build without -i.
 */
function ignoringErrors(graph: TaskGraph): TaskGraph {
  return { ...graph, tasks: graph.tasks.map((t) => (t.recipe === "" ? t : { ...t, recipe: `set +e\n${t.recipe}\n:` })) };
}

/** After a build with --assume-fresh: which tasks were taken as they are, so that no one forgets they were. */
function assumedNote(graph: TaskGraph, order: readonly number[], results: ReadonlyMap<number, TaskResult>): string {
  const names = order.filter((id) => results.get(id)?.reason === "assumed").map((id) => (graph.tasks[id] as Task).name);
  if (names.length === 0) return "";
  const shown = names.length <= 3 ? names.join(", ") : `${names.slice(0, 3).join(", ")} (+${names.length - 3} more)`;
  return `flow: assumed fresh (--assume-fresh), not run or checked: ${names.length} task${names.length === 1 ? "" : "s"}: ${shown}\n`;
}

function jsonTask(task: Task, r: TaskResult, why: string | undefined): Record<string, unknown> {
  return {
    name: task.name,
    status: r.status,
    // Phony tasks run on every build (unless .CACHED): a tool checking "the second build did nothing" skips them.
    phony: task.phony,
    durationMs: r.durationMs,
    key: r.key ?? null,
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.message ? { message: r.message } : {}),
    ...(r.logPath ? { logPath: r.logPath } : {}),
    ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
    ...(r.job !== undefined ? { job: r.job } : {}),
    ...(why !== undefined ? { why } : {}),
  };
}
