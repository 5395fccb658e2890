package io.makeparallel.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.makeparallel.TaskRuntime;
import io.makeparallel.WorkerLostException;
import io.makeparallel.cluster.ClusterNode;
import io.makeparallel.cluster.ClusterSettings;
import io.makeparallel.cluster.Loopback;
import io.makeparallel.cluster.TestCerts;
import io.makeparallel.task.Task;
import io.makeparallel.task.TaskSpec;
import io.makeparallel.task.TaskState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.graalvm.polyglot.Context;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster backend across two members in one JVM (in a loopback-only network namespace):
 * a caller that runs no calls itself, and a member with its own worker interpreters. Calls are
 * pickled by the caller's Python context exactly as for {@code interpreters}.
 */
@Tag("cluster")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ClusterBackendTest {
  private static final String SCRIPT = """
      import sys, time, makeparallel._remote as r
      def add(a, b):
          return a + b
      def boom(x):
          raise ValueError("bad %s" % x)
      def spin(seconds):
          end = time.time() + seconds
          n = 0
          while time.time() < end:
              n += 1
          return n
      def steps(n):
          import makeparallel
          for i in range(1, n + 1):
              makeparallel.report_progress(i / n)
              time.sleep(0.2)
          # Held at the last step until the caller has seen it (no reply yet, so not 1.0 by success).
          time.sleep(5)
          return n
      def write(path):
          with open(path, "w") as f:
              f.write("escaped")
          return "wrote"
      def payload(fn, *args):
          return r.encode_call(fn, args, {}, (), 0)[0]
      """;

  @TempDir
  static Path certDir;
  static TestCerts certs;
  /** One caller for all tests; the member is started again after a test that stopped it. */
  private static TaskRuntime caller;
  private static TaskRuntime memberRuntime;
  private static ClusterNode member;
  private static Context ctx;

  @BeforeAll
  static void caller() throws Exception {
    Loopback.requireNamespace();
    certs = TestCerts.shared();
    caller = TaskRuntime.builder().build();
    ClusterBackend.join(caller, builder(17901, "caller").runsCalls(false).build());
    ctx = PythonContexts.builder(caller).build();
    ctx.eval("python", SCRIPT);
  }

  static ClusterSettings settings(int port, String who) {
    return builder(port, who).build();
  }

  static ClusterSettings.Builder builder(int port, String who) {
    return ClusterSettings.builder().name("bt").bind("127.0.0.1:" + port).peers("127.0.0.1:17901,127.0.0.1:17902,127.0.0.1:17903")
        .keystore(certs.keystore(who)).truststore(certs.truststore()).password(TestCerts.PASSWORD);
  }

  @BeforeEach
  void member() throws Exception {
    if (member == null) {
      if (memberRuntime != null) {
        memberRuntime.close();
      }
      memberRuntime = TaskRuntime.builder().build();
      member = ClusterNode.start(settings(17902, "member"), oneWorker(memberRuntime));
    }
    ClusterBackend b = backend();
    Loopback.waitFor("the member's capacity alone", 60, () -> b.capacities().equals(java.util.Map.of(member.name(), 1)));
    Loopback.waitFor("the member idle", 60, () -> memberRuntime.activeCount() == 0);
  }

  /** A member on {@code rt} with one worker interpreter, sized before it joins and tells it. */
  private static ClusterMember oneWorker(TaskRuntime rt) {
    ClusterMember m = new ClusterMember(rt, ContextPolicy.NARROWEST);
    ((InterpreterBackend) io.makeparallel.internal.RuntimeAccess.get().backend(rt, InterpreterBackend.NAME))
        .configure(1, 0);
    return m;
  }

  @AfterAll
  static void stop() {
    if (ctx != null) {
      ctx.close(true);
    }
    if (caller != null) {
      caller.close();
    }
    if (member != null) {
      member.close();
      member = null;
    }
    if (memberRuntime != null) {
      memberRuntime.close();
    }
  }

  private static ClusterBackend backend() {
    return (ClusterBackend) io.makeparallel.internal.RuntimeAccess.get().backend(caller, ClusterBackend.NAME);
  }

  private Task submit(String fn, Object arg, Duration timeout) throws Exception {
    return submit(fn, arg, timeout, ContextPolicy.NARROWEST);
  }

  private Task submit(String fn, Object arg, Duration timeout, ContextPolicy policy) throws Exception {
    return submit(fn, arg, timeout, policy, 0);
  }

  private Task submit(String fn, Object arg, Duration timeout, ContextPolicy policy, int retries) throws Exception {
    String payload = ctx.getBindings("python").getMember("payload")
        .execute(ctx.getBindings("python").getMember(fn), arg).asString();
    return caller.submit(new TaskSpec(fn, ClusterBackend.NAME, 0, timeout, java.util.List.of(), false,
        new RemoteBody(payload, null, policy, retries)));
  }

  @Test
  void aRetryableCallRunsAgainOnAnotherMemberWhenItsMemberIsLost() throws Exception {
    try (TaskRuntime secondRuntime = TaskRuntime.builder().build();
        ClusterNode second = ClusterNode.start(settings(17903, "member2"), oneWorker(secondRuntime))) {
      Loopback.waitFor("both members' capacity", 60, () -> backend().capacities().size() == 2);
      Task t = submit("spin", 6.0, null, ContextPolicy.NARROWEST, 1);
      Loopback.waitFor("the call to run", 60, () -> memberRuntime.activeCount() + secondRuntime.activeCount() == 1);
      if (memberRuntime.activeCount() == 1) {
        member.close();
        member = null;
      } else {
        second.close();
      }
      assertTrue(t.await(Duration.ofSeconds(90)), "the second attempt ends");
      assertEquals(TaskState.SUCCEEDED, t.state(), "run again on the other member: " + t.error());
    }
  }

  @Test
  void anotherMembersCallGetsNoMoreThanTheMembersCeilingWhateverItAsksFor() throws Exception {
    Path marker = certDir.resolve("escaped-" + System.nanoTime());
    ContextPolicy wide = new ContextPolicy(false, true, true, true, true, java.util.List.of(), null);
    assertEquals(ClusterMember.FILE_WRITES | ClusterMember.PROCESSES | ClusterMember.ENVIRONMENT
        | ClusterMember.DIAGNOSTICS, ClusterMember.bits(wide));
    Task t = submit("write", marker.toString(), null, wide);
    assertTrue(t.await(Duration.ofSeconds(120)));
    assertEquals(TaskState.FAILED, t.state(), "the write was refused on the member: " + t.result());
    assertTrue(!java.nio.file.Files.exists(marker), "no file was written");
  }


  private static long completedOnMember() {
    return memberRuntime.metrics().snapshot().values().stream()
        .mapToLong(io.makeparallel.metrics.Metrics.Entry::completed).sum();
  }

  @Test
  void aCallRunsOnTheMemberAndItsResultOrErrorComesBack() throws Exception {
    long before = completedOnMember();
    Task ok = submit("spin", 0.01, null);
    assertTrue(ok.await(Duration.ofSeconds(120)), "the call came back");
    assertEquals(TaskState.SUCCEEDED, ok.state(), String.valueOf(ok.error()));
    assertTrue(ctx.eval("python", "r.decode_result").execute(ok.result()).asInt() > 0);
    assertEquals(before + 1, completedOnMember(), "it ran on the member");

    Task bad = submit("boom", 7, null);
    assertTrue(bad.await(Duration.ofSeconds(60)));
    RemoteError e = assertInstanceOf(RemoteError.class, bad.error());
    assertEquals("builtins.ValueError", e.typeName());
    assertEquals("bad 7", ctx.eval("python", "lambda t, d: str(r.rebuild_error(t, d))")
        .execute(e.typeName(), e.payload()).asString());
    Loopback.assertNoSocketOutsideLoopback();
  }

  @Test
  void progressReportedOnTheMemberReachesTheCallersTask() throws Exception {
    Task t = submit("steps", 4, null);
    java.util.List<Double> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    t.onProgress(seen::add);
    // The last report (1.0) comes from the member while the call still runs there.
    Loopback.waitFor("the member's last progress report", 60, () -> !t.isDone() && t.progress() == 1.0);
    assertTrue(t.await(Duration.ofSeconds(60)));
    assertEquals(TaskState.SUCCEEDED, t.state(), String.valueOf(t.error()));
    assertTrue(seen.stream().allMatch(f -> f > 0 && f <= 1.0), seen.toString());
    for (int i = 1; i < seen.size(); i++) {
      assertTrue(seen.get(i) >= seen.get(i - 1), "in order: " + seen);
    }
  }

  @Test
  void aTimeoutStopsTheCallOnTheMember() throws Exception {
    Task t = submit("spin", 600.0, Duration.ofSeconds(3));
    assertTrue(t.await(Duration.ofSeconds(60)));
    assertEquals(TaskState.TIMED_OUT, t.state());
    Loopback.waitFor("the member's worker to be stopped", 60, () -> memberRuntime.activeCount() == 0);
    // The member's one worker is free again: the next call runs at once.
    Task next = submit("spin", 0.01, null);
    assertTrue(next.await(Duration.ofSeconds(60)));
    assertEquals(TaskState.SUCCEEDED, next.state(), String.valueOf(next.error()));
  }

  @Test
  void aMemberThatLeavesFailsItsCallWithWorkerLost() throws Exception {
    Task t = submit("spin", 600.0, null);
    Loopback.waitFor("the call to run on the member", 60, () -> memberRuntime.activeCount() == 1);
    long t0 = System.nanoTime();
    member.close();
    member = null;
    assertTrue(t.await(Duration.ofSeconds(30)), "resolved within the failure detection time and a bound");
    assertEquals(TaskState.FAILED, t.state());
    assertInstanceOf(WorkerLostException.class, t.error());
    assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(30));
    Loopback.waitFor("no capacity left", 60, () -> backend().capacities().isEmpty());
  }
}
