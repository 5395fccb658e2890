package io.makeparallel.internal;

import io.makeparallel.task.Task;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import kotlin.Unit;
import kotlin.reflect.jvm.ReflectJvmMapping;
import org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario;
import org.jetbrains.lincheck.datastructures.CustomScenarioDSLKt;
import org.jetbrains.lincheck.datastructures.DSLThreadScenario;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Linearizability of the worker pool's queue against a plain sequential model of its contract:
 * higher priority first, FIFO among equal priorities by submission sequence, priority-launcher
 * tasks held while paused and put back in order on resume. Checked by the model checker and by
 * the stress strategy. Runs in the {@code stress} profile.
 *
 * <p>Small parameter ranges make equal priorities and equal sequences frequent. A task is
 * observed as {@code "priority/sequence"}; odd sequences mark priority-launcher tasks, so two
 * tasks that compare equal are indistinguishable and the model stays deterministic.
 * {@code clear()} (only called when the pool closes) is left to {@link TaskQueueTest}.
 *
 * <p>Seeded bugs this test caught when it was written: an order that ignored the sequence, an
 * {@code offer} without the lock, and a resume that moved held tasks in two locked steps.
 */
@Tag("stress")
@Param(name = "priority", gen = IntGen.class,
    conf = TaskQueueLincheckTest.MIN_PRIORITY + ":" + TaskQueueLincheckTest.MAX_PRIORITY)
@Param(name = "sequence", gen = IntGen.class, conf = "0:" + TaskQueueLincheckTest.MAX_SEQUENCE)
public class TaskQueueLincheckTest {
  static final int MIN_PRIORITY = -1;
  static final int MAX_PRIORITY = 2;
  static final int MAX_SEQUENCE = 5;
  /**
   * Every task an operation can offer, built once: the queue only reads their immutable
   * priority, sequence and launcher, and building tasks inside operations would make the model
   * checker explore the builder's internals instead of the queue.
   */
  private static final Task[][] TASKS = buildTasks();

  private final TaskQueue queue = new TaskQueue();

  private static Task[][] buildTasks() {
    Task[][] tasks = new Task[MAX_PRIORITY - MIN_PRIORITY + 1][MAX_SEQUENCE + 1];
    for (int p = MIN_PRIORITY; p <= MAX_PRIORITY; p++) {
      for (int s = 0; s <= MAX_SEQUENCE; s++) {
        tasks[p - MIN_PRIORITY][s] = TaskAccess.get().builder().id(key(p, s)).name("t").priority(p)
            .sequence(s).fromPriorityLauncher(fromPriorityLauncher(s)).body(t -> null).build();
      }
    }
    return tasks;
  }

  static boolean fromPriorityLauncher(int sequence) {
    return sequence % 2 == 1;
  }

  static String key(int priority, long sequence) {
    return priority + "/" + sequence;
  }

  @Operation
  public boolean offer(@Param(name = "priority") int priority, @Param(name = "sequence") int sequence) {
    return queue.offer(TASKS[priority - MIN_PRIORITY][sequence]);
  }

  @Operation
  public String poll() {
    Task t = queue.poll();
    return t == null ? null : key(t.priority(), t.sequence());
  }

  @Operation
  public int size() {
    return queue.size();
  }

  @Operation
  public int runnableCount() {
    return queue.runnableCount();
  }

  @Operation
  public int setPaused(boolean paused) {
    return queue.setPaused(paused);
  }

  @Test
  void linearizableUnderModelChecking() {
    new ModelCheckingOptions()
        .sequentialSpecification(Model.class)
        .addCustomScenario(resumeRace())
        .iterations(10)
        .invocationsPerIteration(200)
        .check(TaskQueueLincheckTest.class);
  }

  @Test
  void linearizableUnderStress() {
    new StressOptions()
        .sequentialSpecification(Model.class)
        .addCustomScenario(resumeRace())
        .iterations(10)
        .invocationsPerIteration(300)
        .check(TaskQueueLincheckTest.class);
  }

  /**
   * The scenario random generation reaches only now and then: two tasks held by a pause, then
   * a resume racing with an offer that may still be held, a size and polls. A resume that
   * moved the held tasks in two steps would lose or double-count one.
   */
  private static ExecutionScenario resumeRace() {
    return CustomScenarioDSLKt.scenario(b -> {
      b.initial(t -> actors(t, "setPaused", true, "offer", 0, 1, "offer", 1, 3, "offer", 0, 0));
      b.parallel(p -> {
        p.thread(t -> actors(t, "setPaused", false, "poll"));
        p.thread(t -> actors(t, "offer", 2, 5, "size", "poll"));
        return Unit.INSTANCE;
      });
      b.post(t -> actors(t, "size", "runnableCount", "poll", "poll", "poll"));
      return Unit.INSTANCE;
    });
  }

  /** Adds actors given as a flat list: an operation name followed by its arguments. */
  private static Unit actors(DSLThreadScenario thread, Object... namesAndArgs) {
    int i = 0;
    while (i < namesAndArgs.length) {
      String name = (String) namesAndArgs[i++];
      Method m = Arrays.stream(TaskQueueLincheckTest.class.getMethods())
          .filter(x -> x.getName().equals(name)).findFirst().orElseThrow();
      Object[] args = Arrays.copyOfRange(namesAndArgs, i, i + m.getParameterCount());
      i += args.length;
      thread.actor(ReflectJvmMapping.getKotlinFunction(m), args);
    }
    return Unit.INSTANCE;
  }

  /** The sequential contract, written independently of the queue: a list scanned for the best. */
  public static class Model {
    private final List<int[]> runnable = new ArrayList<>();
    private final List<int[]> held = new ArrayList<>();
    private boolean paused;

    public boolean offer(int priority, int sequence) {
      int[] task = {priority, sequence};
      if (paused && fromPriorityLauncher(sequence)) {
        held.add(task);
        return false;
      }
      runnable.add(task);
      return true;
    }

    public String poll() {
      int best = -1;
      for (int i = 0; i < runnable.size(); i++) {
        int[] t = runnable.get(i);
        // Higher priority wins; on equal priority the lower (earlier) sequence wins.
        if (best < 0 || t[0] > runnable.get(best)[0]
            || (t[0] == runnable.get(best)[0] && t[1] < runnable.get(best)[1])) {
          best = i;
        }
      }
      if (best < 0) {
        return null;
      }
      int[] t = runnable.remove(best);
      return key(t[0], t[1]);
    }

    public int size() {
      return runnable.size() + held.size();
    }

    public int runnableCount() {
      return runnable.size();
    }

    public int setPaused(boolean pause) {
      paused = pause;
      if (pause) {
        return 0;
      }
      int moved = held.size();
      runnable.addAll(held);
      held.clear();
      return moved;
    }
  }
}
