package io.makeparallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.makeparallel.internal.RuntimeAccess;
import io.makeparallel.internal.TaskAccess;
import io.makeparallel.python.PythonContextBuilder;
import io.makeparallel.task.Task;
import io.makeparallel.task.TaskBody;
import io.makeparallel.task.TaskBuilder;
import io.makeparallel.task.TaskSpec;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Issue 11: the Java API shows what a Java user may call and hides the engine's side. A state
 * transition made public again, or an {@code io.makeparallel.internal} type reaching a public
 * signature of an API class, fails here.
 */
class ApiSurfaceTest {
  private static final String INTERNAL = "io.makeparallel.internal.";

  /**
   * What a Java user may call on a task: identity, state, outcome, waiting, cancel, progress
   * (and the static check of a progress value) and completion listeners. Transitions (markRunning, succeed, fail, timeOut, codeFinished,
   * setReleaser, ...), the body, the bookkeeping map, the inline resolution hook and the builder
   * belong to the engine and go through {@code io.makeparallel.internal.TaskAccess}.
   */
  private static final Set<String> TASK_USER_API = Set.of(
      "id", "name", "priority", "sequence", "fromPriorityLauncher", "timeout", "state", "isDone",
      "elapsedSeconds", "runNanos", "result", "error", "await", "awaitCodeReturned", "cancel",
      "isCancelRequested", "isReleased", "whenDone", "reportProgress", "checkProgress", "progress", "onProgress",
      "toString");

  /** Packages whose public types are the Java API (the root, the handle, policies, metrics). */
  private static final List<String> API_PACKAGES = List.of(
      "io.makeparallel", "io.makeparallel.task", "io.makeparallel.policy", "io.makeparallel.metrics");

  @Test
  void taskMakesPublicOnlyWhatAUserMayCall() {
    Set<String> publicMethods = Arrays.stream(Task.class.getDeclaredMethods())
        .filter(m -> Modifier.isPublic(m.getModifiers()) && !m.isSynthetic())
        .map(Method::getName)
        .collect(Collectors.toCollection(TreeSet::new));
    Set<String> extra = new TreeSet<>(publicMethods);
    extra.removeAll(TASK_USER_API);
    assertEquals(Set.of(), extra, "public on Task but engine-only (use internal.TaskAccess)");
    Set<String> missing = new TreeSet<>(TASK_USER_API);
    missing.removeAll(publicMethods);
    assertEquals(Set.of(), missing, "user API no longer public on Task (update the allow-list?)");
    for (Constructor<?> c : Task.class.getDeclaredConstructors()) {
      assertTrue(!Modifier.isPublic(c.getModifiers()), "Task's constructor must not be public: " + c);
    }
  }

  @Test
  void noPublicApiSignatureMentionsAnInternalType() throws Exception {
    List<String> offences = new ArrayList<>();
    for (Class<?> api : apiClasses()) {
      check(api.getName() + " extends", api.getGenericSuperclass(), offences);
      for (Type i : api.getGenericInterfaces()) {
        check(api.getName() + " implements", i, offences);
      }
      for (Method m : api.getDeclaredMethods()) {
        if (Modifier.isPublic(m.getModifiers()) && !m.isSynthetic()) {
          checkExecutable(api, m, offences);
          check(describe(api, m) + " returns", m.getGenericReturnType(), offences);
        }
      }
      for (Constructor<?> c : api.getDeclaredConstructors()) {
        if (Modifier.isPublic(c.getModifiers())) {
          checkExecutable(api, c, offences);
        }
      }
      for (Field f : api.getDeclaredFields()) {
        if (Modifier.isPublic(f.getModifiers())) {
          check(api.getName() + "." + f.getName(), f.getGenericType(), offences);
        }
      }
    }
    assertEquals(List.of(), offences, "public API signatures that expose io.makeparallel.internal");
  }

  @Test
  void theEngineAccessorsAreInstalledOnceByTheClassTheyOpen() {
    assertNotNull(TaskAccess.get());
    assertNotNull(RuntimeAccess.get());
    assertThrows(IllegalStateException.class, () -> TaskAccess.install(TaskAccess.get()));
    assertThrows(IllegalStateException.class, () -> RuntimeAccess.install(RuntimeAccess.get()));
  }

  /** The scan below must see the API classes the issue names, or it proves nothing. */
  @Test
  void theScanCoversTheNamedApiClasses() throws Exception {
    Set<Class<?>> scanned = apiClasses();
    for (Class<?> c : List.of(TaskRuntime.class, TaskGroup.class, MakeParallel.class,
        RuntimeConfig.class, RuntimeConfig.Builder.class, Task.class, TaskBuilder.class,
        TaskSpec.class, TaskBody.class, PythonContextBuilder.class)) {
      assertTrue(scanned.contains(c), "not scanned: " + c.getName());
    }
  }

  private static Set<Class<?>> apiClasses() throws IOException, URISyntaxException, ClassNotFoundException {
    Set<Class<?>> out = new LinkedHashSet<>();
    Path root = Path.of(Task.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    for (String pkg : API_PACKAGES) {
      Path dir = root.resolve(pkg.replace('.', '/'));
      try (Stream<Path> files = Files.list(dir)) {
        for (Path p : files.sorted().toList()) {
          String file = p.getFileName().toString();
          if (file.endsWith(".class")) {
            Class<?> c = Class.forName(pkg + "." + file.substring(0, file.length() - 6), false,
                ApiSurfaceTest.class.getClassLoader());
            if (isPublicApi(c)) {
              out.add(c);
            }
          }
        }
      }
    }
    // Returned by MakeParallel.contextBuilder(): API although it lives with the bridge.
    out.add(PythonContextBuilder.class);
    return out;
  }

  private static boolean isPublicApi(Class<?> c) {
    for (Class<?> k = c; k != null; k = k.getDeclaringClass()) {
      if (!Modifier.isPublic(k.getModifiers()) || k.isAnonymousClass() || k.isSynthetic()) {
        return false;
      }
    }
    return true;
  }

  private static void checkExecutable(Class<?> api, Executable e, List<String> offences) {
    for (Type p : e.getGenericParameterTypes()) {
      check(describe(api, e) + " takes", p, offences);
    }
    for (Type x : e.getGenericExceptionTypes()) {
      check(describe(api, e) + " throws", x, offences);
    }
  }

  private static String describe(Class<?> api, Executable e) {
    return api.getSimpleName() + "." + (e instanceof Constructor ? "<init>" : e.getName()) + "("
        + Arrays.stream(e.getParameterTypes()).map(Class::getSimpleName).collect(Collectors.joining(", "))
        + ")";
  }

  private static void check(String where, Type t, List<String> offences) {
    check(where, t, offences, new HashSet<>());
  }

  private static void check(String where, Type t, List<String> offences, Set<Type> seen) {
    // seen: a type variable bounded by itself (T extends Comparable<T>) is walked once.
    if (t == null || !seen.add(t)) {
      return;
    }
    if (t instanceof Class<?> c) {
      while (c.isArray()) {
        c = c.getComponentType();
      }
      if (c.getName().startsWith(INTERNAL)) {
        offences.add(where + " " + c.getName());
      }
    } else if (t instanceof ParameterizedType p) {
      check(where, p.getRawType(), offences, seen);
      for (Type a : p.getActualTypeArguments()) {
        check(where, a, offences, seen);
      }
    } else if (t instanceof WildcardType w) {
      Stream.concat(Arrays.stream(w.getUpperBounds()), Arrays.stream(w.getLowerBounds()))
          .forEach(b -> check(where, b, offences, seen));
    } else if (t instanceof GenericArrayType g) {
      check(where, g.getGenericComponentType(), offences, seen);
    } else if (t instanceof TypeVariable<?> v) {
      for (Type b : v.getBounds()) {
        check(where, b, offences, seen);
      }
    }
  }
}
