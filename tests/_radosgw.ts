/**
 * A real S3 server for tests: Ceph's radosgw on a throwaway single-node cluster (one monitor,
 * one OSD keeping objects in memory, no authentication between daemons), everything in a
 * temporary directory, listening on free ports of 127.0.0.1.
 *
 * `deno test --parallel` runs each test file in its own process, and a cluster takes about
 * ten seconds to start, so the files share one: the first caller starts it under a file lock
 * and writes where it is to `cluster.json` in a state directory (one per checkout); later
 * callers find it there. Each caller registers its process id; a small watchdog started with
 * the cluster stops the daemons (by the process ids in their pid files) and removes the
 * temporary directory once no registered process has been alive for
 * `RADOSGW_TEST_LINGER_S` seconds (default 10) — also when a test run is interrupted.
 *
 * Needs `radosgw`, `ceph-mon`, `ceph-osd`, `monmaptool`, `radosgw-admin`, `uuidgen`, `flock`
 * and `setsid`: `apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw
 * uuid-runtime` (`.ci/run` does it when `radosgw` is missing).
 *
 * @module
 */
import { join } from "node:path";
import { AwsClient } from "aws4fetch";
import { sha256Hex } from "../src/storage/sha256.ts";
import { freePort } from "./_instances.ts";

/** Where the shared test server is and a user of it. */
export interface Radosgw {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  /** A second user, who owns nothing: refused by the first user's buckets. */
  readonly other: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Seconds the first caller spent starting the cluster; 0 when it was already up. */
  readonly startSeconds: number;
}

interface ClusterFile {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly other: Radosgw["other"];
  /** The cluster's temporary directory (configuration, pid files, logs, monitor store). */
  readonly dir: string;
  readonly watchdogPid: number;
}

const ROOT = new URL("..", import.meta.url).pathname;
const INSTALL_HINT = "install it with `apt-get install -y --no-install-recommends ceph-mon " +
  "ceph-osd radosgw uuid-runtime` (.ci/run does this when radosgw is missing)";

let shared: Promise<Radosgw> | undefined;

/**
 * The shared radosgw of this test run, started when no live one is there. The calling
 * process is registered as a user, so the cluster lives at least as long as it does.
 */
export function radosgw(): Promise<Radosgw> {
  shared ??= attach();
  return shared;
}

/** `environment` for {@linkcode startTestServer}: the S3_* variables of a fresh bucket. */
export function s3Env(gw: Radosgw, bucket: string): Record<string, string> {
  return {
    S3_ENDPOINT: gw.endpoint,
    S3_BUCKET: bucket,
    S3_ACCESS_KEY_ID: gw.accessKeyId,
    S3_SECRET_ACCESS_KEY: gw.secretAccessKey,
    S3_REGION: gw.region,
  };
}

/** Every key in `bucket`, sorted (ListObjectsV2, page after page). */
export async function listKeys(gw: Radosgw, bucket: string): Promise<string[]> {
  const client = new AwsClient({ ...gw, service: "s3" });
  const keys: string[] = [];
  let token: string | null = null;
  do {
    const query = new URLSearchParams({ "list-type": "2", "max-keys": "1000" });
    if (token) query.set("continuation-token", token);
    const response = await client.fetch(`${gw.endpoint}/${bucket}?${query}`);
    const xml = await response.text();
    if (response.status !== 200) throw new Error(`Listing ${bucket}: ${response.status} ${xml}`);
    keys.push(...[...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((match) => match[1]));
    token = /<IsTruncated>true<\/IsTruncated>/.test(xml)
      ? /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1] ?? null
      : null;
  } while (token);
  return keys.sort();
}

/** A bucket name no other test uses. */
export function uniqueBucket(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 13)}`;
}

async function attach(): Promise<Radosgw> {
  const state = join(
    Deno.env.get("TMPDIR") ?? "/tmp",
    `manifest-studio-radosgw-${(await sha256Hex(new TextEncoder().encode(ROOT))).slice(0, 12)}`,
  );
  await Deno.mkdir(join(state, "clients"), { recursive: true });
  const lock = await Deno.open(join(state, "lock"), { create: true, write: true });
  try {
    await lock.lock(true);
    // Registered before anything else, so the watchdog keeps what this process uses.
    await Deno.writeTextFile(join(state, "clients", String(Deno.pid)), "");
    const found = await liveCluster(state);
    if (found) return { ...found, region: "us-east-1", startSeconds: 0 };
    const started = performance.now();
    const cluster = await startCluster(state);
    await Deno.writeTextFile(join(state, "cluster.json"), JSON.stringify(cluster));
    const startSeconds = Math.round((performance.now() - started) / 100) / 10;
    return { ...cluster, region: "us-east-1", startSeconds };
  } finally {
    await lock.unlock().catch(() => {});
    lock.close();
  }
}

/**
 * The cluster in `state` when its radosgw answers; a dead one's leftovers are cleared. A live
 * cluster whose watchdog is gone gets a new watchdog: other test files may be using it.
 */
async function liveCluster(state: string): Promise<ClusterFile | null> {
  let cluster: ClusterFile;
  try {
    cluster = JSON.parse(await Deno.readTextFile(join(state, "cluster.json")));
  } catch {
    return null;
  }
  // Under a full parallel test run radosgw may be slow to answer. While its process runs,
  // other test files are using it: replacing it would fail them, so wait for it instead.
  const gateway = await radosgwPid(cluster.dir);
  const deadline = Date.now() + 120_000;
  for (let attempt = 0;; attempt++) {
    if (await answers(cluster.endpoint)) {
      if (isAlive(cluster.watchdogPid)) return cluster;
      // Seen in full test runs: the watchdog gone while the cluster serves other files.
      console.error(`radosgw at ${cluster.endpoint} had lost its watchdog: starting another`);
      const watchdogPid = await startWatchdog(state, cluster.dir, lingerSeconds());
      const adopted = { ...cluster, watchdogPid };
      await Deno.writeTextFile(join(state, "cluster.json"), JSON.stringify(adopted));
      return adopted;
    }
    if (attempt >= 4 && !(gateway !== null && isAlive(gateway))) break;
    if (Date.now() > deadline) {
      throw new Error(`The shared radosgw at ${cluster.endpoint} runs but does not answer.`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  // A radosgw that died, or a run killed with its cluster half started: stop what is left
  // and start afresh.
  signal(cluster.watchdogPid, "SIGTERM");
  await stopDaemons(cluster.dir);
  await Deno.remove(cluster.dir, { recursive: true }).catch(() => {});
  await Deno.remove(join(state, "cluster.json")).catch(() => {});
  return null;
}

/** Seconds the cluster outlives its last registered test process. */
function lingerSeconds(): string {
  return Deno.env.get("RADOSGW_TEST_LINGER_S") ?? "10";
}

async function startCluster(state: string): Promise<ClusterFile> {
  await requireCommand("radosgw");
  const dir = await Deno.makeTempDir({ prefix: "manifest-studio-ceph-" });
  // The watchdog first: should this process die while starting, it still cleans up.
  const watchdogPid = await startWatchdog(state, dir, lingerSeconds());
  try {
    const monPort = freePort();
    const port = freePort();
    const fsid = crypto.randomUUID();
    const conf = join(dir, "ceph.conf");
    for (const sub of ["run", "log", "mon", "osd/ceph-0", "rgw"]) {
      await Deno.mkdir(join(dir, sub), { recursive: true });
    }
    await Deno.writeTextFile(conf, cephConf(dir, fsid, monPort, port));
    const c = ["-c", conf];
    await run("monmaptool", [
      "--create",
      "--fsid",
      fsid,
      "--addv",
      "a",
      `[v2:127.0.0.1:${monPort}]`,
      join(dir, "monmap"),
    ]);
    await run("ceph-mon", [...c, "--mkfs", "-i", "a", "--monmap", join(dir, "monmap")]);
    await run("ceph-mon", [...c, "-i", "a"]);
    const osd = (await run("ceph", [...c, "osd", "create"])).trim();
    await run("ceph-osd", [...c, "-i", osd, "--mkfs"]);
    await run("ceph-osd", [...c, "-i", osd]);
    await run("radosgw", [...c, "-n", "client.rgw.a"]);
    const endpoint = `http://127.0.0.1:${port}`;
    // radosgw creates its pools before it listens: the bulk of the start.
    const deadline = Date.now() + 120_000;
    while (!(await answers(endpoint))) {
      if (Date.now() > deadline) throw new Error(`radosgw did not answer at ${endpoint}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const main = await createUser(c, "manifest-studio-test");
    const other = await createUser(c, "manifest-studio-other");
    return { endpoint, ...main, other, dir, watchdogPid };
  } catch (error) {
    const logs = await logTail(dir);
    await stopDaemons(dir);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw new Error(`Could not start a test radosgw: ${(error as Error).message}\n${logs}`);
  }
}

async function createUser(
  conf: string[],
  uid: string,
): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const accessKeyId = `TEST${crypto.randomUUID().replaceAll("-", "").slice(0, 16).toUpperCase()}`;
  const secretAccessKey = crypto.randomUUID() + crypto.randomUUID();
  await run("radosgw-admin", [
    ...conf,
    "user",
    "create",
    `--uid=${uid}`,
    `--display-name=${uid}`,
    `--access-key=${accessKeyId}`,
    `--secret-key=${secretAccessKey}`,
  ]);
  return { accessKeyId, secretAccessKey };
}

function cephConf(dir: string, fsid: string, monPort: number, port: number): string {
  return `[global]
fsid = ${fsid}
mon host = v2:127.0.0.1:${monPort}
mon initial members = a
public addr = 127.0.0.1
ms bind ipv6 = false
# A private, single-node test cluster: no authentication between its daemons.
auth cluster required = none
auth service required = none
auth client required = none
# radosgw asks for a secure monitor connection by default, which needs authentication.
ms mon client mode = crc
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
osd pool default size = 1
osd pool default min size = 1
# radosgw makes about eight pools: few placement groups each keep one OSD under its limit.
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
osd crush chooseleaf type = 0
osd objectstore = memstore
memstore device bytes = 1073741824
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
pid file = ${dir}/run/$name.pid
log file = ${dir}/log/$name.log
mon data = ${dir}/mon/$cluster-$id
osd data = ${dir}/osd/$cluster-$id
rgw data = ${dir}/rgw/$cluster-$id

[client.rgw.a]
# Without tcp_nodelay every GET waits ~40 ms for a delayed ACK.
rgw frontends = beast endpoint=127.0.0.1:${port} tcp_nodelay=1
`;
}

const WATCHDOG = `#!/usr/bin/env bash
# Stops the shared test cluster once no registered test process has been alive for $3 s.
state="$1"; dir="$2"; linger="$3"
# Alive and not a zombie: a daemon that exited stays one until someone reaps it.
running() { [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat"; }
idle=0
# Nothing but the decision below may end this loop: not a sleep that fails or is signalled.
trap '' HUP PIPE
while :; do
  sleep 1 || true
  # Cleaned up by a test process that found this cluster dead: nothing left to do.
  [ -d "$dir" ] || exit 0
  live=0
  for f in "$state"/clients/*; do
    [ -e "$f" ] || continue
    if running "\${f##*/}"; then live=1; else rm -f "$f"; fi
  done
  if [ "$live" = 1 ]; then idle=0; continue; fi
  idle=$((idle + 1))
  [ "$idle" -ge "$linger" ] || continue
  exec 9>>"$state/lock"
  flock 9
  # A test process may have registered while this waited for the lock.
  if [ -n "$(ls -A "$state/clients")" ]; then flock -u 9; exec 9>&-; idle=0; continue; fi
  # Only when it still describes this cluster (a newer one may have replaced it).
  grep -qF "$dir" "$state/cluster.json" 2>/dev/null && rm -f "$state/cluster.json"
  pids=$(cat "$dir"/run/*.pid 2>/dev/null)
  [ -n "$pids" ] && kill $pids 2>/dev/null
  for _ in $(seq 100); do
    alive=""; for p in $pids; do running "$p" && alive="$alive $p"; done
    [ -z "$alive" ] && break
    sleep 0.1
  done
  [ -n "$alive" ] && kill -9 $alive 2>/dev/null
  rm -rf "$dir"
  exit 0
done
`;

async function startWatchdog(state: string, dir: string, linger: string): Promise<number> {
  const script = join(state, "watchdog.sh");
  await Deno.writeTextFile(script, WATCHDOG);
  const pidFile = join(dir, "watchdog.pid");
  // A watchdog taking over from a dead one must not read its predecessor's pid.
  await Deno.remove(pidFile).catch(() => {});
  // setsid -f: in a session of its own, so a Ctrl-C of the test run does not stop it before
  // it has cleaned up; it writes its own pid, as the forked child's pid is not returned.
  // Its streams go nowhere: a pipe it inherited would stay open as long as it runs.
  await new Deno.Command("setsid", {
    args: [
      "-f",
      "bash",
      "-c",
      `echo $$ > "${pidFile}"; exec bash "${script}" "${state}" "${dir}" "${linger}"`,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).output();
  for (let i = 0; i < 50; i++) {
    const text = await Deno.readTextFile(pidFile).catch(() => "");
    if (text.trim()) return Number(text.trim());
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("The radosgw watchdog did not start.");
}

/** The process id of the cluster's radosgw, from its pid file; null before it wrote one. */
async function radosgwPid(dir: string): Promise<number | null> {
  const text = await Deno.readTextFile(join(dir, "run", "client.rgw.a.pid")).catch(() => "");
  const pid = Number(text.trim());
  return pid > 1 ? pid : null;
}

/** Stops the daemons whose pid files are in `dir` (TERM, then KILL after 10 s). */
async function stopDaemons(dir: string): Promise<void> {
  const pids: number[] = [];
  try {
    for await (const entry of Deno.readDir(join(dir, "run"))) {
      if (!entry.name.endsWith(".pid")) continue;
      const pid = Number((await Deno.readTextFile(join(dir, "run", entry.name))).trim());
      if (pid > 1) pids.push(pid);
    }
  } catch {
    return;
  }
  for (const pid of pids) signal(pid, "SIGTERM");
  const deadline = Date.now() + 10_000;
  while (pids.some(isAlive) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (const pid of pids.filter(isAlive)) signal(pid, "SIGKILL");
}

function signal(pid: number, name: Deno.Signal): void {
  try {
    Deno.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/** Whether `pid` runs; a zombie (exited, not yet reaped by its parent) does not. */
function isAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return false;
  }
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(endpoint, { signal: AbortSignal.timeout(5_000) });
    await response.body?.cancel();
    return response.status < 500;
  } catch {
    return false;
  }
}

async function requireCommand(name: string): Promise<void> {
  try {
    await new Deno.Command(name, { args: ["--version"], stdout: "null", stderr: "null" }).output();
  } catch {
    throw new Error(`The S3 tests need Ceph's ${name} to run a real S3 server: ${INSTALL_HINT}.`);
  }
}

/**
 * Runs a command to its end. Ceph daemons fork into the background and close the standard
 * streams they inherit, so starting one returns once it runs.
 */
async function run(command: string, args: string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout);
  if (code !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} exited with ${code}: ${new TextDecoder().decode(stderr)}`,
    );
  }
  return text;
}

async function logTail(dir: string): Promise<string> {
  const parts: string[] = [];
  try {
    for await (const entry of Deno.readDir(join(dir, "log"))) {
      const lines = (await Deno.readTextFile(join(dir, "log", entry.name))).trimEnd().split("\n");
      parts.push(`--- ${entry.name}\n${lines.slice(-15).join("\n")}`);
    }
  } catch {
    // No logs yet.
  }
  return parts.join("\n");
}
