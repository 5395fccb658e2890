package io.makeparallel.python;

import io.makeparallel.MakeParallel;
import io.makeparallel.TaskRuntime;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code main} of the {@code ./makeparallel} launcher: {@code script.py [args]}, {@code -c CODE}
 * or {@code -m MODULE}, behaving like {@code python} for argv, streams, exit status and Ctrl-C
 * (once: cancel every task and exit promptly; twice: exit at once).
 */
public final class Launcher {
  private static final String USAGE =
      "usage: makeparallel [-c CODE | -m MODULE | script.py] [args...]";

  private Launcher() {}

  public static void main(String[] argv) {
    if (System.getProperty("log4j2.configurationFile") == null) {
      System.setProperty("log4j2.configurationFile", "classpath:io/makeparallel/log4j2-launcher.xml");
    }
    System.exit(run(argv));
  }

  static int run(String[] argv) {
    Target t = parse(argv, Paths.get(""), System.err);
    if (t.mode() == null) {
      return t.status();
    }
    TaskRuntime runtime = MakeParallel.runtime();
    announceRuntime();
    return PythonContexts.runMain(runtime, t.mode(), t.target(), t.rest(), true, true);
  }

  /** What the arguments ask to run; {@code mode} null: nothing, exit with {@code status}. */
  record Target(int status, PythonContexts.Mode mode, String target, List<String> rest) {}

  /**
   * Reads the launcher's arguments as {@code python} does; a script path is taken relative to
   * {@code cwd} (a warm daemon runs for a client elsewhere). Usage errors go to {@code err}.
   */
  static Target parse(String[] argv, Path cwd, PrintStream err) {
    if (argv.length == 0 || argv[0].equals("-h") || argv[0].equals("--help")) {
      err.println(USAGE);
      return new Target(argv.length == 0 ? 2 : 0, null, null, null);
    }
    if (argv[0].equals("-c") || argv[0].equals("-m")) {
      if (argv.length < 2) {
        err.println("makeparallel: argument expected for the " + argv[0] + " option");
        return new Target(2, null, null, null);
      }
      return new Target(0, argv[0].equals("-c") ? PythonContexts.Mode.CODE : PythonContexts.Mode.MODULE,
          argv[1], Arrays.asList(argv).subList(2, argv.length));
    }
    Path script = cwd.resolve(argv[0]);
    if (!Files.isRegularFile(script)) {
      err.println("makeparallel: can't open file '" + argv[0] + "': No such file or directory");
      return new Target(2, null, null, null);
    }
    return new Target(0, PythonContexts.Mode.SCRIPT, script.toAbsolutePath().toString(),
        Arrays.asList(argv).subList(1, argv.length));
  }

  private static void announceRuntime() {
    if (!SharedEngine.jitEnabled() && !"0".equals(System.getenv("MAKEPARALLEL_JIT"))
        && System.getenv("MAKEPARALLEL_QUIET") == null) {
      System.err.println("makeparallel: no JIT on Java " + Runtime.version().feature()
          + " (Python runs interpreter-only; JDK 25 enables it)");
    }
  }

  static void installInterruptHandler(TaskRuntime runtime) {
    AtomicInteger presses = new AtomicInteger();
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("INT"), sig -> {
        if (presses.incrementAndGet() > 1) {
          Runtime.getRuntime().halt(130);
        }
        Thread t = new Thread(() -> {
          runtime.cancelAll();
          // Closing the main context stops its Python code; bounded, then leave at once
          // (JVM shutdown hooks of the polyglot engine can take seconds).
          Thread closer = new Thread(LauncherState::cancelAll, "makeparallel-interrupt-close");
          closer.setDaemon(true);
          closer.start();
          try {
            closer.join(2_000);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          System.out.flush();
          System.err.flush();
          Runtime.getRuntime().halt(130);
        }, "makeparallel-interrupt");
        t.setDaemon(true);
        t.start();
      });
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      // no SIGINT on this platform: the JVM default (exit) applies
    }
  }
}
