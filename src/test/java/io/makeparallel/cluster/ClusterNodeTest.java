package io.makeparallel.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Members in one JVM, on loopback, in a network namespace of their own: the TLS cluster forms,
 * requests cross, and peers without the cluster's TLS are kept out.
 */
@Tag("cluster")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClusterNodeTest {
  static TestCerts certs;
  private final List<ClusterNode> started = new ArrayList<>();

  @BeforeAll
  static void certificates() throws Exception {
    Loopback.requireNamespace();
    certs = TestCerts.shared();
  }

  @AfterEach
  void stopAll() {
    for (ClusterNode n : started) {
      n.close();
    }
  }

  static ClusterSettings.Builder tls(int port, String member, Path truststore) {
    return tls(port, member, truststore, "127.0.0.1:17801,127.0.0.1:17802");
  }

  static ClusterSettings.Builder tls(int port, String member, Path truststore, String peers) {
    return ClusterSettings.builder().name("t").bind("127.0.0.1:" + port).peers(peers)
        .keystore(certs.keystore(member)).truststore(truststore).password(TestCerts.PASSWORD);
  }

  private ClusterNode start(ClusterSettings s, CarrierHandler h) {
    ClusterNode n = ClusterNode.start(s, h);
    started.add(n);
    return n;
  }

  /** Answers a RUN with its call reversed, signed with the member's name. */
  static CarrierHandler echo(String who) {
    return (r, node) -> r.reply(Carrier.DONE, new StringBuilder(r.text()).reverse() + "@" + who, null, 0);
  }


  @Test
  void twoMembersFormATlsClusterAndAnswerEachOthersRequests() throws Exception {
    ClusterNode a = start(tls(17801, "m1", certs.truststore()).build(), echo("a"));
    ClusterNode b = start(tls(17802, "m2", certs.truststore()).build(), echo("b"));
    Loopback.waitFor("both members in both views", 30, () -> a.members().size() == 2 && b.members().size() == 2);
    assertEquals(List.of("127.0.0.1:17801", "127.0.0.1:17802"), a.members().stream().sorted().toList());

    Carrier r = a.send(b.name(), Carrier.run(a.name(), "t1", 1, 0, "\u00e9abc"), Duration.ofSeconds(20))
        .get(30, TimeUnit.SECONDS);
    assertEquals(Carrier.DONE, r.kind());
    assertEquals("cba\u00e9@b", r.text(), "a latin-1 payload crosses byte for byte");
    assertEquals("t1", r.task());
    Carrier self = a.send(a.name(), Carrier.run(a.name(), "t2", 1, 0, "xy"), Duration.ofSeconds(20))
        .get(30, TimeUnit.SECONDS);
    assertEquals("yx@a", self.text());
    Loopback.assertNoSocketOutsideLoopback();
  }

  @Test
  void membersStartedAtTheSameMomentEndInOneView() throws Exception {
    // Each may find nobody yet and form a view of its own; MERGE3 must then join the two.
    var pool = java.util.concurrent.Executors.newFixedThreadPool(3);
    try {
      List<java.util.concurrent.Future<ClusterNode>> starting = new ArrayList<>();
      String[] names = {"m1", "m2", "member"};
      for (int i = 0; i < 3; i++) {
        ClusterSettings s = tls(17801 + i, names[i], certs.truststore(), "127.0.0.1:17801,127.0.0.1:17802,127.0.0.1:17803")
            .build();
        starting.add(pool.submit(() -> ClusterNode.start(s, echo(s.nodeName()))));
      }
      List<ClusterNode> nodes = new ArrayList<>();
      Exception failed = null;
      for (var f : starting) {
        try {
          nodes.add(f.get(60, TimeUnit.SECONDS));
        } catch (Exception e) {
          failed = e;
        }
      }
      started.addAll(nodes); // closed after the test, whatever happens next
      if (failed != null) {
        pool.shutdown();
        pool.awaitTermination(60, TimeUnit.SECONDS);
        for (var f : starting) { // a start that ended late: closed too
          try {
            ClusterNode late = f.get(0, TimeUnit.SECONDS);
            if (!nodes.contains(late)) {
              started.add(late);
            }
          } catch (Exception notStarted) {
            // it failed: nothing to close
          }
        }
        throw failed;
      }
      Loopback.waitFor("one view of all three", 60, () -> nodes.stream().allMatch(n -> n.members().size() == 3));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void twoViewsThatMergeTellTheirListeners() throws Exception {
    ClusterNode a = start(tls(17801, "m1", certs.truststore()).build(), echo("a"));
    AtomicReference<Set<String>> seenByA = new AtomicReference<>(Set.of());
    a.onViewChange(seenByA::set);
    // b asks nobody but itself, so it forms a view of its own; a lists b, so a's MERGE3 finds
    // b's view, and the two views merge (not a join: Infinispan tells that as a merge). A
    // probe of a's that reaches b during b's own discovery makes b join a instead: then b is
    // started again, a few times at most.
    ClusterNode b = null;
    for (int tries = 0; tries < 5 && b == null; tries++) {
      ClusterNode n = ClusterNode.start(tls(17802, "m2", certs.truststore(), "127.0.0.1:17802").build(), echo("b"));
      if (n.members().equals(List.of(n.name()))) {
        b = n;
        started.add(n);
      } else {
        n.close();
        Loopback.waitFor("a to see b go", 60, () -> a.members().size() == 1);
      }
    }
    assertTrue(b != null, "b joined a at once five times: no merge to test");
    ClusterNode bb = b;
    AtomicReference<Set<String>> seenByB = new AtomicReference<>(Set.of());
    b.onViewChange(seenByB::set);
    Set<String> both = Set.of(a.name(), bb.name());
    Loopback.waitFor("the merged view to reach both nodes' listeners", 60,
        () -> seenByA.get().equals(both) && seenByB.get().equals(both));
    assertEquals(List.of(a.name(), bb.name()), a.members().stream().sorted().toList());
  }

  @Test
  void aPeerWithoutTlsIsKeptOut() throws Exception {
    ClusterNode a = start(tls(17801, "m1", certs.truststore()).build(), echo("a"));
    ClusterNode rogue = start(ClusterSettings.builder().name("t").bind("127.0.0.1:17802")
        .peers("127.0.0.1:17801").plaintext(true).build(), echo("rogue"));
    assertStaysAlone(a, rogue);
  }

  @Test
  void aPeerWithACertificateOfAnotherCaIsKeptOut() throws Exception {
    ClusterNode a = start(tls(17801, "m1", certs.truststore()).build(), echo("a"));
    // It trusts our CA too: only its own certificate is foreign.
    ClusterNode rogue = start(tls(17802, "r1", certs.truststore()).build(), echo("rogue"));
    assertStaysAlone(a, rogue);
  }

  /**
   * A rightful member started after the rogue joins {@code a}: the rogue had at least as long
   * and had the same peers to try, so its staying out is the TLS refusing it, not a slow machine.
   */
  private void assertStaysAlone(ClusterNode a, ClusterNode rogue) throws Exception {
    ClusterNode b = start(tls(17803, "m2", certs.truststore()).build(), echo("b"));
    Loopback.waitFor("a rightful member to join", 60, () -> a.members().size() == 2 && b.members().size() == 2);
    Thread.sleep(2000); // and a little more: a late join of the rogue would show in a view change
    assertEquals(List.of(a.name(), b.name()), a.members().stream().sorted().toList());
    assertEquals(List.of(rogue.name()), rogue.members());
    assertTrue(a.send(rogue.name(), Carrier.capacity(), Duration.ofSeconds(5)).handle((v, e) -> e != null)
        .get(10, TimeUnit.SECONDS), "no request reaches a member outside the view");
  }
}
