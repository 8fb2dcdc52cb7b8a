// Hot swapping the index under a running server.
//
// A new index is never patched into the App in use. A reload opens a whole new App off to the side
// (openApp: builds or loads the generation, the lexical index, retriever and answer pipeline) while
// requests keep being answered from the old one, then swaps one reference in an AppHolder. Routes
// are built once over `holder.live`, whose fields read the holder on every access, and each tools
// call reads one field (retriever, answers or corpus) — so a request is answered wholly by the old
// generation or wholly by the new one. The embedder and the ConversationStore are carried over, so
// the model is not loaded again and conversations survive the swap.
//
// Reloads start from POST /admin/reindex (see http/routes/admin.ts) or when embeddings/CURRENT
// names another generation — committed by `policy-assistant index` in another process, say. CURRENT
// is replaced by rename, so the directory is watched (a watch on the file would follow the old
// inode), with a cheap poll as a fallback where fs.watch is unreliable (network filesystems, a
// recreated directory). One reload runs at a time; a change seen meanwhile is checked after it.
//
// A reload for a generation another process committed only loads it (write 'load'): it never
// builds, so two replicas whose corpora differ cannot rebuild each other's index in a loop. When
// the App in use is degraded (a damaged generation served from its intact parts), a writer repairs
// it in the background under the writer lock and swaps the repaired generation in; a reader, or a
// writer that finds the lock held, waits for the holder's commit, which the watch then loads.

import { AppError } from './errors.ts';
import { watch, type FSWatcher } from 'node:fs';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import { openApp, type App } from './app.ts';
import { CURRENT_FILE, currentGeneration } from './index/atomic.ts';
import type { IndexStats } from './index/build.ts';
import { corpusReport, type CorpusReport } from './corpus-admin.ts';
import { IndexLockedError, indexWriterConfig, type IndexRole } from './index/lock.ts';

/** The App the server answers from, replaced whole by swap(). */
export class AppHolder {
  private app: App;
  /** An App whose every field is read from the current App at access time; hand it to code built once. */
  readonly live: App;

  constructor(app: App) {
    this.app = app;
    // A Proxy rather than a getter per field, so a field added to App cannot be forgotten here.
    this.live = new Proxy({} as App, { get: (_target, field) => this.app[field as keyof App] });
  }

  current(): App {
    return this.app;
  }

  /** Makes `next` the App every later request reads; returns the previous one. */
  swap(next: App): App {
    const previous = this.app;
    this.app = next;
    return previous;
  }
}

export type ReloadTrigger = 'admin' | 'watch' | 'repair';

/** A build stopped between two embedding steps because the server is shutting down. */
export class ReloadCancelledError extends AppError {
  constructor() {
    super('cancelled', 'cancelled: the server is shutting down; the previous index stays in place');
  }
}

/** A reload job as reported by GET /admin/reindex. */
export interface ReloadStatus {
  state: 'idle' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  jobId?: string;
  trigger?: ReloadTrigger;
  /** Every passage embedded again (POST /admin/reindex?rebuild=true), not only changed ones. */
  rebuild?: boolean;
  startedAt?: string;
  finishedAt?: string;
  /** Passages embedded so far; absent until embedding starts (and when nothing needs embedding). */
  progress?: { embedded: number; total: number };
  /** On success: the generation now served and how it was opened. */
  generation?: string;
  stats?: IndexStats;
  /** On success: per file, what this job added, changed and removed, and what it skipped and why. */
  corpus?: CorpusReport;
  /** On failure or cancellation: why; the previous index is still being served. */
  error?: string;
}

export interface ReloaderOptions {
  corpusDir: string;
  indexDir: string;
  logger: Logger;
  /** How often CURRENT is re-read in case fs.watch missed a change. */
  pollMs?: number;
  /** Readers never build or repair; by default POLICY_ASSISTANT_INDEX_ROLE. */
  role?: IndexRole;
}

// A repair that found the writer lock held is tried again after this long (the holder may die).
const REPAIR_RETRY_MS = 5000;

const DEFAULT_POLL_MS = 2000;
// fs.watch reports a rename as several events; one check after they settle is enough.
const WATCH_SETTLE_MS = 50;

export class AppReloader {
  private job: Promise<void> | undefined;
  private last: ReloadStatus = { state: 'idle' };
  /** A change was seen while a job ran: look again when it ends. */
  private recheck = false;
  /** Callers of refresh() waiting for a job that starts after the running one. */
  private queued: { promise: Promise<ReloadStatus>; resolve: (s: ReloadStatus) => void } | undefined;
  /** A generation that failed to load is not retried by the watcher (an admin reindex still may). */
  private failedGeneration: string | undefined;
  private watcher: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private closed = false;
  readonly role: IndexRole;
  private repairTriedAt = 0;

  constructor(
    private readonly holder: AppHolder,
    private readonly opts: ReloaderOptions,
  ) {
    this.role = opts.role ?? indexWriterConfig().role;
  }

  /** A copy of the latest job's status. */
  status(): ReloadStatus {
    return structuredClone(this.last);
  }

  /** Resolves when no reload is running (tests, shutdown: after close() that is at most one embedding step away). */
  async settled(): Promise<void> {
    while (this.job) await this.job;
  }

  /** Starts a reload in the background, or joins the one running; returns its status at once. */
  reindex(opts: { rebuild?: boolean } = {}): ReloadStatus {
    if (!this.job) this.start('admin', opts.rebuild === true);
    return this.status();
  }

  /**
   * Reindexes the corpus as it is now — after a file was added or removed — and resolves with the
   * final status of that job. A job already running may have read the corpus before the change, so
   * a new one is queued after it (one for all callers meanwhile) instead of joining it.
   */
  refresh(): Promise<ReloadStatus> {
    if (this.closed) return Promise.resolve({ state: 'cancelled', error: new ReloadCancelledError().message });
    if (!this.job) return this.start('admin', false);
    if (!this.queued) {
      let resolve!: (s: ReloadStatus) => void;
      const promise = new Promise<ReloadStatus>((r) => (resolve = r));
      this.queued = { promise, resolve };
    }
    return this.queued.promise;
  }

  /** Follows embeddings/CURRENT: a newly committed generation is loaded and swapped in. */
  watch(): void {
    let settle: NodeJS.Timeout | undefined;
    try {
      this.watcher = watch(this.opts.indexDir, { persistent: false }, (_event, file) => {
        if (file !== null && file !== CURRENT_FILE) return;
        clearTimeout(settle);
        settle = setTimeout(() => void this.check(), WATCH_SETTLE_MS);
        settle.unref();
      });
      this.watcher.on('error', (err) => {
        this.opts.logger.warn({ err: err.message }, 'index watch failed; polling only');
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch (err) {
      this.opts.logger.warn({ err: (err as Error).message }, 'cannot watch the index directory; polling only');
    }
    this.poll = setInterval(() => void this.check(), this.opts.pollMs ?? DEFAULT_POLL_MS);
    this.poll.unref();
    this.repairIfNeeded();
  }

  /** A writer serving a degraded App repairs it in the background (one attempt per REPAIR_RETRY_MS). */
  private repairIfNeeded(): void {
    if (this.closed || this.job || this.role !== 'writer' || this.holder.current().index.condition.state === 'ok') return;
    if (Date.now() - this.repairTriedAt < REPAIR_RETRY_MS) return;
    this.repairTriedAt = Date.now();
    this.opts.logger.warn({ problems: this.holder.current().index.condition.problems }, 'index damaged; repairing in the background while answering from its intact parts');
    this.start('repair', false);
  }

  /**
   * Stops watching, and cancels a running build at its next embedding step. The process must not
   * exit while the model runs (onnxruntime aborts the process), and a build can take minutes; a
   * cancelled build has written nothing, as the generation is only written after embedding.
   */
  close(): void {
    this.closed = true;
    this.watcher?.close();
    this.watcher = undefined;
    clearInterval(this.poll);
  }

  private async check(): Promise<void> {
    if (this.closed) return;
    if (this.job) {
      this.recheck = true;
      return;
    }
    let dir: string | undefined;
    try {
      dir = await currentGeneration(this.opts.indexDir);
    } catch (err) {
      // A CURRENT being replaced or damaged: keep serving; the next poll looks again.
      this.opts.logger.debug({ err: (err as Error).message }, 'could not read the index CURRENT file');
      return;
    }
    const name = dir && path.basename(dir);
    if (name === path.basename(this.holder.current().index.dir)) this.repairIfNeeded();
    if (!name || this.job || this.closed || name === path.basename(this.holder.current().index.dir) || name === this.failedGeneration) return;
    this.opts.logger.info({ generation: name }, 'a new index generation was committed; loading it');
    this.start('watch', false, name);
  }

  private start(trigger: ReloadTrigger, rebuild: boolean, generation?: string): Promise<ReloadStatus> {
    const status: ReloadStatus = { state: 'running', jobId: randomUUID(), trigger, rebuild, startedAt: new Date().toISOString() };
    this.last = status;
    this.job = this.run(status, generation).finally(() => {
      this.job = undefined;
      const queued = this.queued;
      this.queued = undefined;
      if (queued) {
        if (this.closed) queued.resolve({ state: 'cancelled', error: new ReloadCancelledError().message });
        else void this.start('admin', false).then(queued.resolve);
      } else if (this.recheck) {
        this.recheck = false;
        void this.check();
      }
    });
    return this.job.then(() => structuredClone(status));
  }

  private async run(status: ReloadStatus, seen: string | undefined): Promise<void> {
    const { logger, corpusDir, indexDir } = this.opts;
    const current = this.holder.current();
    try {
      if (this.role === 'reader' && status.trigger === 'admin') {
        throw new Error('this replica is an index reader (POLICY_ASSISTANT_INDEX_ROLE=reader); reindex on a writer, whose commit it then loads');
      }
      const next = await openApp({
        corpusDir,
        indexDir,
        rebuild: status.rebuild,
        // Only an admin request or a repair writes; a generation someone else committed is loaded as is.
        write: status.trigger === 'watch' ? 'load' : status.trigger === 'admin' ? 'build' : 'auto',
        onDamage: status.trigger === 'repair' ? 'repair' : 'serve',
        embedder: current.embedder,
        conversations: current.conversations,
        onIndexProgress: (embedded, total) => {
          status.progress = { embedded, total };
          // Called between model calls, so no inference is in flight when the build stops here.
          if (this.closed) throw new ReloadCancelledError();
        },
      });
      // A damaged new commit is not swapped over an intact index.
      if (next.index.condition.state !== 'ok' && current.index.condition.state === 'ok') {
        if (seen) this.failedGeneration = seen;
        throw new Error(`the committed generation is damaged (${next.index.condition.problems.join('; ')}); still serving the previous index`);
      }
      // A repair that could not take the lock: the holder is repairing; its commit is loaded by the watch.
      if (status.trigger === 'repair' && next.index.condition.state !== 'ok') {
        status.state = 'failed';
        status.error = 'another process holds the index writer lock; its commit will be loaded';
        status.finishedAt = new Date().toISOString();
        logger.info({ jobId: status.jobId }, status.error);
        return;
      }
      this.holder.swap(next);
      status.corpus = corpusReport(current.corpus, next.corpus);
      this.failedGeneration = undefined;
      status.state = 'succeeded';
      status.generation = path.basename(next.index.dir);
      status.stats = next.index.stats;
      logger.info({ jobId: status.jobId, trigger: status.trigger, generation: status.generation, mode: next.index.stats.mode, chunks: next.corpus.chunks.length }, 'index swapped in');
    } catch (err) {
      status.error = (err as Error).message;
      if (err instanceof ReloadCancelledError) {
        status.state = 'cancelled';
        logger.info({ jobId: status.jobId, trigger: status.trigger }, 'index reload cancelled by shutdown');
      } else {
        if (seen) this.failedGeneration = seen;
        status.state = 'failed';
        if (err instanceof IndexLockedError) logger.info({ jobId: status.jobId, trigger: status.trigger, err: status.error }, 'another process holds the index writer lock; loading its commit when it lands');
        else logger.error({ jobId: status.jobId, trigger: status.trigger, err: status.error }, 'index reload failed; still serving the previous index');
      }
    }
    status.finishedAt = new Date().toISOString();
  }
}
