package io.makeparallel.python;

import org.graalvm.polyglot.Engine;

/**
 * The one polyglot {@link Engine} every context of the process shares (code and JIT results
 * are shared between contexts; a new context on a warm engine costs ~0.1 s instead of seconds).
 * Created on first use, exactly once. Thread-safe.
 */
public final class SharedEngine {
  private static volatile Engine engine;

  private SharedEngine() {}

  public static Engine get() {
    Engine e = engine;
    if (e == null) {
      synchronized (SharedEngine.class) {
        e = engine;
        if (e == null) {
          if (System.getProperty("polyglot.engine.userResourceCache") == null) {
            // GraalPy unpacks its standard library here; the home folder may be read-only.
            System.setProperty("polyglot.engine.userResourceCache",
                ResourceLocations.cacheDir().resolve("graalpy").toString());
          }
          // -Dmakeparallel.experimentalEngineOptions=true lets -Dpolyglot.engine.* name the
          // engine's experimental options too (TraceCompilationDetails and the like), for
          // diagnosing the JIT; engine options are the host's, not a guest's.
          e = Engine.newBuilder("python")
              .option("engine.WarnInterpreterOnly", "false")
              .allowExperimentalOptions(Boolean.getBoolean("makeparallel.experimentalEngineOptions"))
              .build();
          engine = e;
        }
      }
    }
    return e;
  }

  /** True when the optimizing (JIT) Truffle runtime is active. */
  public static boolean jitEnabled() {
    return !get().getImplementationName().toLowerCase(java.util.Locale.ROOT).contains("interpreted");
  }
}
