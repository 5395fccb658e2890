package io.makeparallel.python;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.graalvm.polyglot.Context;

/** The main contexts currently running a program, so Ctrl-C can cancel them. Thread-safe. */
final class LauncherState {
  private static final Set<Context> MAINS = ConcurrentHashMap.newKeySet();

  private LauncherState() {}

  static void register(Context c) {
    MAINS.add(c);
  }

  static void unregister(Context c) {
    MAINS.remove(c);
  }

  /** Cancels every running main program (their threads see a cancelled context). */
  static void cancelAll() {
    for (Context c : MAINS) {
      try {
        c.close(true);
      } catch (RuntimeException ignored) {
        // closing a context from a signal handler may race with its own close
      }
    }
  }
}
