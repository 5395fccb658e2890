package io.makeparallel.python;

import io.makeparallel.TaskRuntime;
import io.makeparallel.cluster.ClusterNode;
import io.makeparallel.cluster.ClusterSettings;
import io.makeparallel.internal.RuntimeAccess;
import java.io.PrintStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import sun.misc.Signal;

/**
 * {@code ./makeparallel member}: a process that serves a makeparallel cluster with its worker
 * interpreters until it is stopped. SIGTERM or SIGINT leaves the cluster cleanly (calls running
 * here end as cancelled for their callers, who see this member leave) and exits 0.
 *
 * <p>Options override the {@code MAKEPARALLEL_CLUSTER*} variables of the same meaning; the
 * stores' password is read only from {@code MAKEPARALLEL_CLUSTER_PASSWORD}, never from the
 * command line (which other users can list). Calls from other members run with none of file
 * writes, subprocesses and environment.
 */
public final class ClusterMemberMain {
  static final String USAGE = """
      usage: makeparallel member --cluster NAME --bind HOST:PORT [--peers H:P,H:P...]
                                 [--keystore FILE.p12 --truststore FILE.p12] [--workers N]
                                 [--failure-timeout SECONDS] [--plaintext]
      Each option may come from the environment instead: MAKEPARALLEL_CLUSTER, _BIND, _PEERS,
      _KEYSTORE, _TRUSTSTORE, _WORKERS, _FAILURE_TIMEOUT, _PLAINTEXT=1 (MAKEPARALLEL_CLUSTER_...).
      The stores' password: MAKEPARALLEL_CLUSTER_PASSWORD. Stop with SIGTERM (exit 0).""";

  private static final Map<String, String> OPTIONS = Map.of("--cluster", "MAKEPARALLEL_CLUSTER",
      "--bind", "MAKEPARALLEL_CLUSTER_BIND", "--peers", "MAKEPARALLEL_CLUSTER_PEERS",
      "--keystore", "MAKEPARALLEL_CLUSTER_KEYSTORE", "--truststore", "MAKEPARALLEL_CLUSTER_TRUSTSTORE",
      "--workers", "MAKEPARALLEL_CLUSTER_WORKERS", "--failure-timeout", "MAKEPARALLEL_CLUSTER_FAILURE_TIMEOUT");

  private ClusterMemberMain() {}

  public static void main(String[] args) {
    if (System.getProperty("log4j2.configurationFile") == null) {
      System.setProperty("log4j2.configurationFile", "classpath:io/makeparallel/log4j2-launcher.xml");
    }
    io.makeparallel.internal.Logging.applyEnvironment();
    System.exit(run(List.of(args), System.getenv(), System.err));
  }

  /** The member's settings from {@code args} over {@code env}. */
  static Map<String, String> settings(List<String> args, Map<String, String> env) {
    Map<String, String> s = new HashMap<>(env);
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("--plaintext")) {
        s.put("MAKEPARALLEL_CLUSTER_PLAINTEXT", "1");
      } else if (OPTIONS.containsKey(a) && i + 1 < args.size()) {
        s.put(OPTIONS.get(a), args.get(++i));
      } else if (a.equals("--password")) {
        throw new IllegalArgumentException("the password is read only from MAKEPARALLEL_CLUSTER_PASSWORD, "
            + "never from the command line");
      } else {
        throw new IllegalArgumentException("unknown option or missing value: " + a);
      }
    }
    if (s.get("MAKEPARALLEL_CLUSTER") == null || s.get("MAKEPARALLEL_CLUSTER").isEmpty()) {
      throw new IllegalArgumentException("--cluster NAME (or MAKEPARALLEL_CLUSTER) is required");
    }
    return s;
  }

  static int run(List<String> args, Map<String, String> env, PrintStream err) {
    if (args.contains("-h") || args.contains("--help")) {
      err.println(USAGE);
      return 0;
    }
    ClusterSettings settings;
    int workers;
    try {
      Map<String, String> s = settings(args, env);
      settings = ClusterSettings.fromEnvironment(s);
      String w = s.get("MAKEPARALLEL_CLUSTER_WORKERS");
      workers = w == null ? Runtime.getRuntime().availableProcessors() : parseWorkers(w);
    } catch (IllegalArgumentException e) {
      err.println("makeparallel member: " + e.getMessage());
      err.println(USAGE);
      return 2;
    }
    CountDownLatch stop = new CountDownLatch(1);
    Signal.handle(new Signal("TERM"), sig -> stop.countDown());
    Signal.handle(new Signal("INT"), sig -> stop.countDown());
    try (TaskRuntime runtime = TaskRuntime.builder().build()) {
      ClusterMember member = new ClusterMember(runtime, ContextPolicy.NARROWEST);
      InterpreterBackend interpreters = (InterpreterBackend) RuntimeAccess.get().backend(runtime, InterpreterBackend.NAME);
      interpreters.configure(workers, 0);
      // Ready before joining: the capacity this member tells is there at once.
      if (!interpreters.warmup(Duration.ofMinutes(5))) {
        err.println("makeparallel member: the worker interpreters did not start within 5 minutes");
        return 1;
      }
      try (ClusterNode node = ClusterNode.start(settings, member)) {
        err.println("makeparallel member " + node.name() + " of cluster " + settings.name() + ": " + workers
            + " worker interpreters" + (settings.plaintext() ? ", PLAINTEXT" : ", TLS") + "; members " + node.members());
        err.flush();
        node.onViewChange(member::viewChanged);
        node.onViewChange(names -> {
          err.println("makeparallel member " + node.name() + ": members " + names);
          err.flush();
        });
        stop.await();
        err.println("makeparallel member " + node.name() + ": leaving the cluster");
      }
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    } catch (RuntimeException e) {
      err.println("makeparallel member: " + e.getMessage());
      return 1;
    }
  }

  private static int parseWorkers(String w) {
    try {
      int n = Integer.parseInt(w.trim());
      if (n >= 1 && n <= 1024) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException("--workers must be 1-1024, got '" + w + "'");
  }
}
