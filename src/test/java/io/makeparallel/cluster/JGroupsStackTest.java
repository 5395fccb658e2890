package io.makeparallel.cluster;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.jgroups.JChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stack's XML and the fail-closed check of a channel, without opening a socket. */
class JGroupsStackTest {
  @TempDir
  Path dir;

  private ClusterSettings tlsSettings() throws Exception {
    Path ks = Files.writeString(dir.resolve("k.p12"), "x");
    return ClusterSettings.builder().name("c").bind("127.0.0.1:7800").peers("127.0.0.1:7801")
        .keystore(ks).truststore(ks).password("pw").failureTimeout(Duration.ofSeconds(3)).build();
  }

  private static JChannel channel(String xml) throws Exception {
    return new JChannel(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void theStackIsTcpWithTlsAndBindsEverySocketToTheConfiguredAddress() throws Exception {
    String xml = JGroupsStack.xml(tlsSettings());
    assertFalse(xml.contains("UDP") || xml.contains("mcast_addr") || xml.contains("MPING"), xml);
    assertTrue(xml.contains("tls.enabled=\"true\"") && xml.contains("tls.client_auth=\"NEED\"")
        && xml.contains("tls.protocols=\"TLSv1.3\""), xml);
    assertTrue(xml.contains("<FD_SOCK2 bind_addr=\"127.0.0.1\""), xml);
    assertTrue(xml.contains("<FD_ALL3 timeout=\"3000\""), xml);
    try (JChannel ch = channel(xml)) {
      assertDoesNotThrow(() -> JGroupsStack.verify(ch, tlsSettings()));
      // A loaded machine's TLS handshake takes longer than JGroups' 1-2 s defaults allow.
      org.jgroups.protocols.TCP tcp = ch.getProtocolStack().findProtocol(org.jgroups.protocols.TCP.class);
      assertTrue(tcp.getPeerAddrReadTimeout() >= 10_000 && tcp.getSockConnTimeout() >= 10_000,
          tcp.getPeerAddrReadTimeout() + " / " + tcp.getSockConnTimeout());
    }
  }

  @Test
  void aChannelWithoutTlsIsRefusedWhenTlsWasAskedFor() throws Exception {
    ClusterSettings plain = ClusterSettings.builder().name("c").bind("127.0.0.1:7800").plaintext(true).build();
    try (JChannel ch = channel(JGroupsStack.xml(plain))) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> JGroupsStack.verify(ch, tlsSettings()));
      assertTrue(e.getMessage().contains("TLS off"), e.getMessage());
    }
  }

  @Test
  void aChannelBoundElsewhereOrWithAnotherStackIsRefused() throws Exception {
    ClusterSettings other = ClusterSettings.builder().name("c").bind("127.0.0.2:7800").plaintext(true).build();
    ClusterSettings here = ClusterSettings.builder().name("c").bind("127.0.0.1:7800").plaintext(true).build();
    try (JChannel ch = channel(JGroupsStack.xml(other))) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> JGroupsStack.verify(ch, here));
      assertTrue(e.getMessage().contains("TCP bound to /127.0.0.2:7800"), e.getMessage());
      assertTrue(e.getMessage().contains("failure detector bound to /127.0.0.2"), e.getMessage());
    }
    // JGroups' own multicast default stack, as Infinispan substitutes it.
    try (JChannel ch = new JChannel("udp.xml")) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> JGroupsStack.verify(ch, here));
      assertTrue(e.getMessage().contains("instead of TCP"), e.getMessage());
    }
  }

  @Test
  void settingsThatJGroupsWouldSubstituteAreRefused() throws Exception {
    Path ks = Files.writeString(dir.resolve("k.p12"), "x");
    ClusterSettings s = ClusterSettings.builder().name("c").bind("127.0.0.1:7800").keystore(ks).truststore(ks)
        .password("a${user.home}").build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> JGroupsStack.xml(s));
    assertFalse(e.getMessage().contains("user.home"), "the password is not echoed");
  }

  @Test
  void settingsAreCheckedWhereTheyAreGiven() throws Exception {
    assertMessage("cluster name must be", () -> ClusterSettings.builder().name("a b").bind("127.0.0.1:1").plaintext(true).build());
    assertMessage("cluster bind address must be HOST:PORT, got '7800'", () -> ClusterSettings.builder().bind("7800"));
    assertMessage("not a wildcard", () -> ClusterSettings.builder().bind("0.0.0.0:7800"));
    assertMessage("port must be 1-65535", () -> ClusterSettings.builder().peers("127.0.0.1:70000"));
    assertMessage("plaintext is allowed only on loopback", () -> ClusterSettings.builder().name("c")
        .bind("127.0.0.1:7800").peers("10.1.2.3:7800").plaintext(true).build());
    assertMessage("cluster keystore is required", () -> ClusterSettings.builder().name("c").bind("127.0.0.1:7800").build());
    assertMessage("failure timeout must be between", () -> ClusterSettings.builder().name("c").bind("127.0.0.1:7800")
        .plaintext(true).failureTimeout(Duration.ofMillis(10)).build());
    Path ks = Files.writeString(dir.resolve("k.p12"), "x");
    assertMessage("password", () -> ClusterSettings.builder().name("c").bind("127.0.0.1:7800").keystore(ks)
        .truststore(ks).build());
    assertMessage("MAKEPARALLEL_CLUSTER_BIND is required", () -> ClusterSettings.fromEnvironment(Map.of("MAKEPARALLEL_CLUSTER", "c")));
    assertMessage("MAKEPARALLEL_CLUSTER_FAILURE_TIMEOUT must be seconds, got 'x'", () -> ClusterSettings.fromEnvironment(
        Map.of("MAKEPARALLEL_CLUSTER", "c", "MAKEPARALLEL_CLUSTER_BIND", "127.0.0.1:7800",
            "MAKEPARALLEL_CLUSTER_PLAINTEXT", "1", "MAKEPARALLEL_CLUSTER_FAILURE_TIMEOUT", "x")));
    ClusterSettings s = ClusterSettings.fromEnvironment(Map.of("MAKEPARALLEL_CLUSTER", "c",
        "MAKEPARALLEL_CLUSTER_BIND", "127.0.0.1:7800", "MAKEPARALLEL_CLUSTER_PEERS", "127.0.0.1:7801, 127.0.0.1:7802",
        "MAKEPARALLEL_CLUSTER_PLAINTEXT", "1", "MAKEPARALLEL_CLUSTER_FAILURE_TIMEOUT", "2.5"));
    assertTrue(s.plaintext() && s.peers().size() == 2 && s.failureTimeout().equals(Duration.ofMillis(2500)), s.toString());
    assertTrue(ClusterSettings.fromEnvironment(Map.of()) == null);
  }

  private static void assertMessage(String part, org.junit.jupiter.api.function.Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().contains(part), e.getMessage());
  }
}
