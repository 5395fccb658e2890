package io.makeparallel.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.infinispan.configuration.global.GlobalConfigurationBuilder;
import org.infinispan.factories.GlobalComponentRegistry;
import org.infinispan.manager.DefaultCacheManager;
import org.infinispan.manager.EmbeddedCacheManager;
import org.infinispan.notifications.Listener;
import org.infinispan.notifications.cachemanagerlistener.annotation.ViewChanged;
import org.infinispan.notifications.cachemanagerlistener.event.ViewChangedEvent;
import org.infinispan.remoting.transport.Address;
import org.infinispan.remoting.transport.Transport;
import org.infinispan.remoting.transport.jgroups.JGroupsTransport;

/**
 * This process's membership of a makeparallel cluster: an embedded Infinispan cache manager
 * (no caches of ours) on the {@link JGroupsStack}, checked after start and closed again if the
 * running transport is not the configured one. Requests reach the member's
 * {@link CarrierHandler}; {@link #send} delivers one to a member and returns its reply.
 *
 * <p>Thread-safe. Owns the transport: {@link #close} leaves the cluster.
 */
public final class ClusterNode implements AutoCloseable {
  private static final Logger LOG = LogManager.getLogger(ClusterNode.class);
  /**
   * The handler of each running node of this process by node name (its bind address, unique),
   * found through the manager a request arrives with (a view of ours, not the same object).
   */
  private static final Map<String, CarrierHandler> HANDLERS = new ConcurrentHashMap<>();

  private final ClusterSettings settings;
  private final DefaultCacheManager manager;
  private final CarrierHandler handler;
  private final List<Consumer<Set<String>>> viewListeners = new CopyOnWriteArrayList<>();

  private ClusterNode(ClusterSettings settings, DefaultCacheManager manager, CarrierHandler handler) {
    this.settings = settings;
    this.manager = manager;
    this.handler = handler;
  }

  /**
   * Joins (or forms) the cluster {@code settings} names, answering requests with {@code
   * handler}. Blocks until this member is in the view.
   *
   * @throws IllegalStateException if the transport that started is not the configured one
   *     (nothing is left running)
   */
  public static ClusterNode start(ClusterSettings settings, CarrierHandler handler) {
    GlobalConfigurationBuilder g = GlobalConfigurationBuilder.defaultClusteredBuilder();
    g.transport().clusterName(settings.name()).nodeName(settings.nodeName())
        .addProperty(JGroupsTransport.CONFIGURATION_XML, JGroupsStack.xml(settings));
    g.serialization().addContextInitializer(new Carrier.Schema());
    g.jmx().disable();
    if (HANDLERS.putIfAbsent(settings.nodeName(), handler) != null) {
      throw new IllegalStateException("this process is already member " + settings.nodeName());
    }
    DefaultCacheManager m = new DefaultCacheManager(g.build(), false);
    ClusterNode node = new ClusterNode(settings, m, handler);
    try {
      m.start();
      JGroupsTransport t = (JGroupsTransport) GlobalComponentRegistry.componentOf(m, Transport.class);
      JGroupsStack.verify(t.getChannel(), settings);
      m.addListener(node.new ViewWatcher());
    } catch (RuntimeException | Error e) {
      node.close();
      throw e;
    }
    LOG.info("joined cluster {} as {}: members {}", settings.name(), settings.nodeName(), node.members());
    return node;
  }

  static CarrierHandler handlerOf(EmbeddedCacheManager manager) {
    return HANDLERS.get(manager.getCacheManagerConfiguration().transport().nodeName());
  }

  public ClusterSettings settings() {
    return settings;
  }

  /** This member's name. */
  public String name() {
    return String.valueOf(manager.getAddress());
  }

  /** The names of the current members, this one included. */
  public List<String> members() {
    List<String> names = new ArrayList<>();
    List<Address> ms = manager.getMembers();
    if (ms != null) {
      for (Address a : ms) {
        names.add(String.valueOf(a));
      }
    }
    return names;
  }

  /** Calls {@code listener} with the member names after every change of membership. */
  public void onViewChange(Consumer<Set<String>> listener) {
    viewListeners.add(listener);
  }

  /**
   * Sends {@code request} to {@code member} (this one included, then without the network) and
   * completes with its reply, or exceptionally when the member left, failed or did not answer
   * within {@code timeout}.
   */
  public CompletableFuture<Carrier> send(String member, Carrier request, Duration timeout) {
    CompletableFuture<Carrier> reply = new CompletableFuture<>();
    Address target = null;
    for (Address a : manager.getMembers()) {
      if (String.valueOf(a).equals(member)) {
        target = a;
      }
    }
    if (target == null) {
      reply.completeExceptionally(new IllegalStateException("no member " + member + " in the cluster"));
      return reply;
    }
    Address to = target;
    manager.executor().filterTargets(a -> a.equals(to)).timeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .submitConsumer(request, (Address from, Carrier v, Throwable err) -> {
          if (err != null) {
            reply.completeExceptionally(err);
          } else {
            reply.complete(v);
          }
        }).whenComplete((v, err) -> {
          if (err != null) {
            reply.completeExceptionally(err);
          } else if (!reply.isDone()) {
            reply.completeExceptionally(new IllegalStateException("member " + member + " sent no reply"));
          }
        });
    return reply;
  }

  @Override
  public void close() {
    try {
      manager.stop();
    } finally {
      HANDLERS.remove(settings.nodeName(), handler);
    }
  }

  @Listener(sync = false)
  public final class ViewWatcher {
    @ViewChanged
    public void viewChanged(ViewChangedEvent e) {
      Set<String> names = new java.util.LinkedHashSet<>();
      for (Address a : e.getNewMembers()) {
        names.add(String.valueOf(a));
      }
      for (Consumer<Set<String>> l : viewListeners) {
        try {
          l.accept(names);
        } catch (RuntimeException ex) {
          LOG.warn("cluster view listener failed: {}", ex.toString());
        }
      }
    }
  }
}
