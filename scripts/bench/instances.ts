/**
 * The `instances` section of `deno task bench`: photos per second of the same photos on one
 * SQLite instance, one PostgreSQL + S3 instance and two PostgreSQL + S3 instances sharing the
 * database and the bucket; how long a queued job waits to be claimed; and how late a frame
 * reaches a WebSocket client on the instance that does not run the job, next to one on the
 * instance that does.
 *
 * The measuring runs in a child process (instances_run.ts): starting PostgreSQL and Ceph's
 * radosgw needs commands the bench process may not run. A machine without them reports
 * `{ skipped }` instead.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { postgresBinDir } from "../../tests/_postgres.ts";
import type { InstancesReport } from "./instances_run.ts";

/** How the section runs. */
export interface InstancesOptions {
  /** Photos processed by each configuration. */
  readonly photos: number;
  readonly seed: number;
  /** Engine workers of each instance. */
  readonly workers: number;
}

/** The section's result: the measurements, or why there are none. */
export type InstancesResult = InstancesReport | { readonly skipped: string };

const RUN_SCRIPT = fileURLToPath(new URL("./instances_run.ts", import.meta.url));
const CACHE = fileURLToPath(new URL("../../.cache", import.meta.url));
/** What tests/_radosgw.ts runs to start a throwaway Ceph cluster. */
const CEPH_COMMANDS = ["radosgw", "ceph-mon", "ceph-osd", "monmaptool", "radosgw-admin"];

/** Why the section cannot run on this machine, or null when it can. */
export function missingPrerequisite(): string | null {
  try {
    postgresBinDir();
  } catch (error) {
    return (error as Error).message;
  }
  const path = (Deno.env.get("PATH") ?? "").split(":").filter(Boolean);
  const found = (command: string) =>
    path.some((dir) => {
      try {
        return Deno.statSync(join(dir, command)).isFile;
      } catch {
        return false;
      }
    });
  const missing = CEPH_COMMANDS.filter((command) => !found(command));
  if (missing.length > 0) {
    return `Ceph's ${missing.join(", ")} not on PATH: install them with \`apt-get install -y ` +
      "--no-install-recommends ceph-mon ceph-osd radosgw uuid-runtime`.";
  }
  return null;
}

/** Runs the section; the child's progress lines go to stderr. */
export async function measureInstances(options: InstancesOptions): Promise<InstancesResult> {
  const missing = missingPrerequisite();
  if (missing) return { skipped: missing };
  const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
  // By name: `--allow-run=deno` allows the `deno` on PATH, which is what runs `deno task`.
  const child = new Deno.Command("deno", {
    args: [
      "run",
      "--allow-read",
      // The PostgreSQL cluster and radosgw live in temporary folders; DATA_DIRs in .cache.
      `--allow-write=/tmp,${tmp},${CACHE}`,
      "--allow-net=127.0.0.1",
      "--allow-env",
      "--allow-sys",
      // initdb, pg_ctl, runuser, the Ceph daemons, and the service processes (`deno`).
      "--allow-run",
      RUN_SCRIPT,
      `--photos=${options.photos}`,
      `--seed=${options.seed}`,
      `--workers=${options.workers}`,
    ],
    stdout: "piped",
    stderr: "inherit",
  });
  const { success, stdout } = await child.output();
  if (!success) throw new Error("The instances section failed (see its error above).");
  return JSON.parse(new TextDecoder().decode(stdout));
}
