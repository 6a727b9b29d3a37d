/**
 * Where and when a capture runs, for the reports of a job's many processes:
 * this host, the launcher's rank and job id (from the environment Slurm,
 * Open MPI, MPICH/PMI and PMIx give each process), and the placeholders of
 * output paths built from them (`iops --json out/%j-%r.json -- ./app`).
 */
import { hostname } from "node:os";

/** Where a launcher puts the process's rank, in the order they are tried. */
export const RANK_VARIABLES = ["SLURM_PROCID", "OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"] as const;

/** Where a launcher puts the job's id, in the order they are tried. */
export const JOB_VARIABLES = ["SLURM_JOB_ID", "OMPI_MCA_ess_base_jobid", "PMIX_NAMESPACE"] as const;

/** An output path whose placeholders cannot be filled: `message` is one line. */
export class PlaceholderError extends Error {}

type Env = Record<string, string | undefined>;

/** The rank the launcher gave this process (a whole number), or null outside a launcher. */
export function launcherRank(env: Env = process.env): number | null {
  for (const name of RANK_VARIABLES) {
    const v = env[name]?.trim();
    if (v && /^\d{1,9}$/.test(v)) return Number(v);
  }
  return null;
}

/** The launcher's job id, or null outside a launcher. */
export function launcherJobId(env: Env = process.env): string | null {
  for (const name of JOB_VARIABLES) {
    const v = env[name]?.trim();
    if (v) return v;
  }
  return null;
}

/** This host's name up to its first dot ("node17" of "node17.cluster"), as `%h` writes it. */
export function shortHost(): string {
  return hostname().split(".")[0] || "localhost";
}

/** What each placeholder stands for, for help texts. */
export const PLACEHOLDER_HELP = `Output paths (--json, --html) take placeholders, filled before the command runs:
  %h  this host's name (up to its first dot)
  %p  the pid of this iops process (unique on its host while it runs)
  %r  the process's rank from its launcher: ${RANK_VARIABLES.join(", ")}
  %j  the job's id from its launcher: ${JOB_VARIABLES.join(", ")}
  %%  a literal %`;

/**
 * `path` with its placeholders filled (see PLACEHOLDER_HELP). A job id is
 * made safe for a file name (a PMIx namespace holds "@" and "/"). Throws
 * PlaceholderError for an unknown placeholder, or %r / %j without a
 * launcher's variable.
 */
export function fillPlaceholders(option: string, path: string, env: Env = process.env, pid = process.pid): string {
  return path.replace(/%(.?)/gs, (_, c: string) => {
    switch (c) {
      case "%":
        return "%";
      case "h":
        return shortHost();
      case "p":
        return String(pid);
      case "r": {
        const rank = launcherRank(env);
        if (rank === null) throw new PlaceholderError(`${option} ${path}: %r needs a launcher's rank (${RANK_VARIABLES.join(", ")}), and none is set`);
        return String(rank);
      }
      case "j": {
        const job = launcherJobId(env);
        if (job === null) throw new PlaceholderError(`${option} ${path}: %j needs a launcher's job id (${JOB_VARIABLES.join(", ")}), and none is set`);
        return job.replace(/[^\w.-]/g, "_");
      }
      default:
        throw new PlaceholderError(
          `${option} ${path}: ${c ? `unknown placeholder %${c}` : "a lone % at the end"}; the placeholders are %h, %p, %r, %j and %% for a literal %`,
        );
    }
  });
}
