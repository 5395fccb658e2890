package io.makeparallel.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.makeparallel.TaskRuntime;
import io.makeparallel.cluster.ClusterNode;
import io.makeparallel.cluster.ClusterSettings;
import io.makeparallel.cluster.Loopback;
import io.makeparallel.cluster.TestCerts;
import io.makeparallel.metrics.Metrics;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.graalvm.polyglot.Context;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code backend="cluster"} from Python, unchanged API: a script whose context has the
 * cluster's settings in its environment joins at its first cluster call and spreads a map over
 * its own worker interpreters and another member's; errors and timeouts come back as on
 * {@code interpreters}. In a loopback-only network namespace.
 */
@Tag("cluster")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ClusterPythonTest {
  @TempDir
  static Path certDir;
  static TestCerts certs;

  @BeforeAll
  static void certificates() throws Exception {
    Loopback.requireNamespace();
    certs = TestCerts.shared();
  }

  private static final String SCRIPT = """
      import time
      import makeparallel as mp

      def spin(x):
          end = time.time() + 0.3
          while time.time() < end:
              pass
          return x * x

      @mp.parallel(backend="cluster")
      def fails(x):
          raise KeyError(x)

      @mp.parallel(backend="cluster", timeout=2)
      def forever():
          while True:
              pass

      @mp.parallel(backend="cluster")
      def endless():
          while True:
              pass

      @mp.parallel(backend="cluster")
      def stepped(n):
          for i in range(1, n + 1):
              mp.report_progress(i / n)
              time.sleep(0.1)
          return n

      @mp.parallel_with_deps(backend="cluster")
      def total(results, k):
          return sum(results) + k

      def run():
          out = []
          sq = mp.parallel(backend="cluster")(spin)
          out.append(total(10, depends_on=[sq(2), sq(3)]).get(timeout=120) == 4 + 9 + 10)
          seen = []
          h = stepped(5)
          h.on_progress(seen.append)
          h.get(timeout=120)
          # Reports travel while the call runs: the callback saw the member's fractions, in order.
          out.append(len(seen) >= 1 and seen == sorted(seen) and seen[-1] == 1.0)
          out.append(mp.parallel_map(spin, range(12), backend="cluster") == [x * x for x in range(12)])
          try:
              fails("k").get(timeout=120)
              out.append("no error")
          except KeyError as e:
              out.append(e.args == ("k",))
          t0 = time.time()
          try:
              forever().get(timeout=120)
              out.append("no timeout")
          except mp.TaskTimeoutError:
              out.append(time.time() - t0 < 60)
          out.append(mp.errors.by_kind("WorkerLostError") is mp.WorkerLostError)
          # Callbacks fire, metrics count the calls, cancel stops a call running on a member.
          done = []
          h = sq(5)
          h.on_complete(done.append)
          h.get(timeout=120)
          t0 = time.time()
          while not done and time.time() - t0 < 30:
              time.sleep(0.05)
          out.append(done == [25])
          m = mp.get_metrics("spin")
          out.append(m is not None and m.completed_tasks >= 3)
          h = endless()
          t0 = time.time()
          while not h.running() and time.time() - t0 < 60:
              time.sleep(0.05)
          out.append(h.cancel_with_timeout(60) and h.is_cancelled())
          return out
      """;

  @Test
  void configureJoinsTheClusterItNamesAndLocalFalseLeavesTheCallsToTheOthers() throws Exception {
    try (TaskRuntime memberRuntime = TaskRuntime.builder().build();
        ClusterNode member = ClusterNode.start(ClusterSettings.builder().name("cfg").bind("127.0.0.1:17962")
            .peers("127.0.0.1:17961").keystore(certs.keystore("member")).truststore(certs.truststore())
            .password(TestCerts.PASSWORD).build(), new ClusterMember(memberRuntime, ContextPolicy.NARROWEST));
        TaskRuntime caller = TaskRuntime.builder().build();
        Context ctx = PythonContexts.builder(caller).allowRuntimeControl(true).build()) {
      ctx.getBindings("python").putMember("ks", certs.keystore("caller").toString());
      ctx.getBindings("python").putMember("ts", certs.truststore().toString());
      ctx.getBindings("python").putMember("pw", TestCerts.PASSWORD);
      String out = ctx.eval("python", """
          import makeparallel as mp
          settings = {"name": "cfg", "bind": "127.0.0.1:17961", "peers": ["127.0.0.1:17962"], "keystore": ks,
                      "truststore": ts, "password": pw, "failure_timeout": 3, "local": False}
          mp.configure(backend="cluster", cluster=settings)
          def cube(x):
              return x ** 3
          r = mp.parallel(cube)(3).get(timeout=120)
          import time
          def nap(x):
              time.sleep(0.02)
              return x
          # Items of 20 ms or more (a loaded machine oversleeps): chunks grow to a quarter
          # second's worth on the cluster, ~30 calls; at interpreters' 20 ms, one item a call.
          assert sum(mp.parallel_map(nap, range(300))) == sum(range(300))
          def window(seconds):
              start = time.time()
              while time.time() < start + seconds:
                  pass
              return start, time.time()
          # A concurrency limit of 1: the member (2 workers) runs the calls one after another.
          mp.set_max_concurrent_tasks(1)
          try:
              spans = sorted(h.get(timeout=120) for h in [mp.parallel(window)(0.2) for _ in range(3)])
          finally:
              mp.set_max_concurrent_tasks(None)
          assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), spans
          # Priorities order the calls that wait for a member's worker: every worker busy, a low
          # then a high one queued; the high one starts first. The busy calls end 0.5 s apart,
          # so one worker frees at a time: two freed together would start both queued calls
          # within milliseconds, in either order on the member (a CI run saw low 4 ms ahead).
          from makeparallel._bridge import control
          busy = [mp.parallel(window)(1.0 + 0.5 * i) for i in range(control.poolSize("cluster"))]
          low = mp.parallel_priority(window)(0.1, priority=0)
          high = mp.parallel_priority(window)(0.1, priority=5)
          assert high.get(timeout=120)[0] <= low.get(timeout=120)[0], (high.get(), low.get())
          for b in busy:
              b.get(timeout=120)
          try:
              mp.configure(cluster=settings)
              again = "joined twice"
          except ValueError as e:
              again = str(e)
          "%s|%s" % (r, again)
          """).asString();
      assertTrue(out.startsWith("27|"), out);
      assertTrue(out.contains("joined a cluster already"), out);
      long onMember = memberRuntime.metrics().snapshot().values().stream().mapToLong(Metrics.Entry::completed).sum();
      // local=False: the call and every chunk of the map ran on the other member.
      // (and the 3 + 2 + busy calls of the limit and priority checks)
      assertTrue(onMember >= 1 + 2 + 5 && onMember <= 1 + 100 + 5 + 4, "calls on the member: " + onMember);
    }
  }

  @Test
  void aScriptSpreadsItsWorkOverTheClusterWithTheSameApi() throws Exception {
    try (TaskRuntime memberRuntime = TaskRuntime.builder().build();
        ClusterNode member = ClusterNode.start(ClusterSettings.builder().name("py").bind("127.0.0.1:17952")
            .peers("127.0.0.1:17951").keystore(certs.keystore("member")).truststore(certs.truststore())
            .password(TestCerts.PASSWORD).build(), new ClusterMember(memberRuntime, ContextPolicy.NARROWEST));
        TaskRuntime caller = TaskRuntime.builder().build()) {
      Map<String, String> env = Map.of("MAKEPARALLEL_CLUSTER", "py", "MAKEPARALLEL_CLUSTER_BIND", "127.0.0.1:17951",
          "MAKEPARALLEL_CLUSTER_PEERS", "127.0.0.1:17952",
          "MAKEPARALLEL_CLUSTER_KEYSTORE", certs.keystore("caller").toString(),
          "MAKEPARALLEL_CLUSTER_TRUSTSTORE", certs.truststore().toString(),
          "MAKEPARALLEL_CLUSTER_PASSWORD", TestCerts.PASSWORD);
      try (Context ctx = PythonContexts.builder(caller).environment(env).build()) {
        ctx.eval("python", SCRIPT);
        // The caller joins at the first cluster call; wait until it sees the member's capacity.
        ctx.eval("python", "mp.parallel(backend='cluster')(spin)(1).get(timeout=120)");
        ClusterBackend b = (ClusterBackend) io.makeparallel.internal.RuntimeAccess.get().backend(caller, ClusterBackend.NAME);
        Loopback.waitFor("the caller to see the member", 60, () -> b.capacities().containsKey(member.name()));
        assertEquals("[True, True, True, True, True, True, True, True, True]",
            ctx.eval("python", "str(run())").asString());
      }
      long onMember = memberRuntime.metrics().snapshot().values().stream().mapToLong(Metrics.Entry::completed).sum();
      assertTrue(onMember >= 1, "the other member ran part of the work: " + onMember);
      Loopback.assertNoSocketOutsideLoopback();
    }
  }
}
