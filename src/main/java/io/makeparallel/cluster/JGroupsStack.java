package io.makeparallel.cluster;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.jgroups.JChannel;
import org.jgroups.protocols.FD_SOCK2;
import org.jgroups.protocols.TCP;
import org.jgroups.stack.Protocol;
import org.jgroups.util.TLSClientAuth;

/**
 * The one JGroups stack a makeparallel cluster runs on, written as the XML Infinispan is given
 * (Infinispan replaces a channel passed in code with its default stack, which multicasts), and
 * the check that the running channel is exactly that stack. TCP only, TLS 1.3 with client
 * certificates required, discovery by the listed peers only, every socket bound to the
 * configured address.
 *
 * <p>Stateless and thread-safe.
 */
final class JGroupsStack {
  /** The protocols, bottom to top, that a started channel must have: no more, no fewer. */
  static final List<String> PROTOCOLS = List.of("TCP", "TCPPING", "MERGE3", "FD_SOCK2", "FD_ALL3",
      "VERIFY_SUSPECT2", "NAKACK2", "UNICAST3", "STABLE", "GMS", "UFC", "MFC", "FRAG4");

  /**
   * How long a new connection may take to connect and to complete its TLS handshake (which the
   * accepting side runs inside its read of the peer's address). JGroups' defaults, 2 s and 1 s,
   * are too short on a loaded machine, where a cold TLS 1.3 handshake takes longer: the
   * connection is then dropped at trace level, discovery finds nobody, and members started
   * side by side each stay alone (seen in CI). Accepting is one thread, so this is also how
   * long a stalled connection can hold up the next one.
   */
  static final int HANDSHAKE_MILLIS = 10_000;

  private JGroupsStack() {}

  static String xml(ClusterSettings s) {
    String host = s.bind().getAddress().getHostAddress();
    long timeout = s.failureTimeout().toMillis();
    StringBuilder x = new StringBuilder(2048);
    x.append("<config xmlns=\"urn:org:jgroups\">");
    x.append("<TCP").append(attr("bind_addr", host)).append(attr("bind_port", s.bind().getPort()))
        .append(attr("port_range", 0)).append(attr("diag.enabled", "false"))
        .append(attr("thread_naming_pattern", "cl"))
        .append(attr("sock_conn_timeout", HANDSHAKE_MILLIS)).append(attr("peer_addr_read_timeout", HANDSHAKE_MILLIS));
    if (!s.plaintext()) {
      x.append(attr("tls.enabled", "true")).append(attr("tls.client_auth", "NEED"))
          .append(attr("tls.protocols", "TLSv1.3"))
          .append(attr("tls.keystore_path", s.keystore().toString()))
          .append(attr("tls.keystore_password", s.password())).append(attr("tls.keystore_type", "PKCS12"))
          .append(attr("tls.truststore_path", s.truststore().toString()))
          .append(attr("tls.truststore_password", s.password())).append(attr("tls.truststore_type", "PKCS12"));
    }
    x.append("/>");
    List<InetSocketAddress> initial = new ArrayList<>(s.peers());
    if (!initial.contains(s.bind())) {
      initial.add(s.bind());
    }
    x.append("<TCPPING").append(attr("initial_hosts", initial.stream()
            .map(a -> a.getAddress().getHostAddress() + "[" + a.getPort() + "]").collect(Collectors.joining(","))))
        .append(attr("port_range", 0)).append("/>");
    x.append("<MERGE3 min_interval=\"2s\" max_interval=\"8s\"/>");
    x.append("<FD_SOCK2").append(attr("bind_addr", host)).append(attr("offset", ClusterSettings.FAILURE_PORT_OFFSET))
        .append(attr("port_range", 0)).append("/>");
    x.append("<FD_ALL3").append(attr("timeout", timeout)).append(attr("interval", Math.max(200, timeout / 5)))
        .append("/>");
    x.append("<VERIFY_SUSPECT2 timeout=\"500\"/>");
    x.append("<pbcast.NAKACK2 use_mcast_xmit=\"false\"/>");
    x.append("<UNICAST3/>");
    x.append("<pbcast.STABLE desired_avg_gossip=\"5s\" max_bytes=\"4M\"/>");
    x.append("<pbcast.GMS join_timeout=\"1000\" print_local_addr=\"false\"/>");
    x.append("<UFC max_credits=\"4M\" min_threshold=\"0.4\"/>");
    x.append("<MFC max_credits=\"4M\" min_threshold=\"0.4\"/>");
    x.append("<FRAG4 frag_size=\"60K\"/>");
    x.append("</config>");
    return x.toString();
  }

  /**
   * Throws {@link IllegalStateException} unless {@code channel} runs exactly the configured
   * stack: these protocols, TCP bound to the configured address and port, TLS on with client
   * certificates required (unless plaintext was asked for), the failure detector bound to the
   * same address.
   */
  static void verify(JChannel channel, ClusterSettings s) {
    List<String> problems = new ArrayList<>();
    List<Protocol> stack = new ArrayList<>(channel.getProtocolStack().getProtocols());
    java.util.Collections.reverse(stack); // getProtocols() lists top to bottom
    List<String> names = stack.stream().map(p -> p.getClass().getSimpleName()).toList();
    if (!names.equals(PROTOCOLS)) {
      problems.add("protocols " + names + " instead of " + PROTOCOLS);
    }
    InetAddress want = s.bind().getAddress();
    if (!(channel.getProtocolStack().getTransport() instanceof TCP tcp)) {
      problems.add("transport " + channel.getProtocolStack().getTransport().getClass().getName() + " instead of TCP");
    } else {
      if (!want.equals(tcp.getBindAddress()) || tcp.getBindPort() != s.bind().getPort()) {
        problems.add("TCP bound to " + tcp.getBindAddress() + ":" + tcp.getBindPort() + " instead of "
            + ClusterSettings.hostPort(s.bind()));
      }
      if (!s.plaintext() && (!tcp.tls().enabled() || tcp.tls().getClientAuth() != TLSClientAuth.NEED)) {
        problems.add("TLS " + (tcp.tls().enabled() ? "without required client certificates" : "off"));
      }
    }
    FD_SOCK2 fd = channel.getProtocolStack().findProtocol(FD_SOCK2.class);
    if (fd == null || !want.equals(fd.getBindAddress())) {
      problems.add("failure detector bound to " + (fd == null ? "nothing" : fd.getBindAddress()) + " instead of "
          + want.getHostAddress());
    }
    if (!problems.isEmpty()) {
      throw new IllegalStateException("the cluster transport is not the configured one, refusing to run: "
          + String.join("; ", problems));
    }
  }

  private static String attr(String name, Object value) {
    if (String.valueOf(value).contains("${")) {
      // JGroups would substitute it from system properties or the environment.
      throw new IllegalArgumentException("cluster setting " + name + " must not contain '${'");
    }
    String v = String.valueOf(value).replace("&", "&amp;").replace("\"", "&quot;").replace("<", "&lt;")
        .replace(">", "&gt;");
    return " " + name + "=\"" + v + "\"";
  }
}
