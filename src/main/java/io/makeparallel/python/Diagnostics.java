package io.makeparallel.python;

import java.lang.management.ManagementFactory;
import org.graalvm.polyglot.HostAccess;

/**
 * Process-wide figures for leak tests and benchmarks, installed as the polyglot binding
 * {@value #BINDING} only in contexts whose builder opted in
 * ({@code PythonContextBuilder.diagnostics(true)}: the test support context and the launcher's
 * main context). Kept off the {@link Bridge} because a sandboxed guest has no business forcing
 * collections (a pause of the whole process) or counting other tenants' worker contexts.
 *
 * <p>Stateless and thread-safe.
 */
public final class Diagnostics {
  public static final String BINDING = "makeparallel.diagnostics";

  Diagnostics() {}

  /** Worker contexts open in this process (workers' and standby ones). */
  @HostAccess.Export
  public int openWorkerContexts() {
    return InterpreterBackend.openContexts();
  }

  /**
   * Of {@link #openWorkerContexts()}, the standby ones (not owned by a worker): ready, or being
   * built. Worker-owned contexts are the difference.
   */
  @HostAccess.Export
  public int spareWorkerContexts() {
    return SpareContexts.held();
  }

  /** Of {@link #spareWorkerContexts()}, those ready to be taken by a cancelled worker. */
  @HostAccess.Export
  public int readySpareWorkerContexts() {
    return SpareContexts.ready();
  }

  /** Function sources compiled once for every context ({@link SharedCode}), kept now. */
  @HostAccess.Export
  public int sharedSources() {
    return SharedCode.kept();
  }

  /**
   * Java heap in use, in bytes, after asking for a full collection: the one figure that covers
   * both Python objects (they live on the Java heap) and the runtime's own records. A collection
   * pauses the process, so not for hot paths.
   */
  @HostAccess.Export
  public long heapUsedAfterGc() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
