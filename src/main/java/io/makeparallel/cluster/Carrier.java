package io.makeparallel.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.function.Function;
import org.infinispan.manager.EmbeddedCacheManager;
import org.infinispan.protostream.FileDescriptorSource;
import org.infinispan.protostream.ProtobufTagMarshaller;
import org.infinispan.protostream.SerializationContext;
import org.infinispan.protostream.SerializationContextInitializer;
import org.infinispan.protostream.TagReader;
import org.infinispan.protostream.TagWriter;

/**
 * The one message type between members: a request (run a call, cancel one, tell your capacity)
 * sent through Infinispan's {@code ClusterExecutor}, and the reply it returns. Encoded with
 * ProtoStream ({@link Schema}); nothing from the network is ever Java-deserialised.
 *
 * <p>A call is identified by the caller's node name, the task id and the attempt number, so a
 * cancel finds it and a late reply of an abandoned attempt is recognised.
 *
 * <p>Immutable and thread-safe.
 */
public final class Carrier implements Function<EmbeddedCacheManager, Carrier> {
  /** Requests. */
  public static final int RUN = 1;
  public static final int CANCEL = 2;
  public static final int CAPACITY = 3;
  /** Answered by the node itself, not its handler: the members it counts. */
  public static final int MEMBERS = 4;
  /**
   * From the member running a call to its caller: the call reported progress (the fraction in
   * {@link #detail}, as text). Answered with an empty DONE.
   */
  public static final int PROGRESS = 5;
  /** Replies. */
  public static final int DONE = 10;
  public static final int FAILED = 11;
  public static final int CANCELLED = 12;
  public static final int EXITED = 13;
  public static final int CAPACITY_IS = 14;
  public static final int REFUSED = 15;
  public static final int MEMBERS_ARE = 16;

  private final int kind;
  private final String caller;
  private final String task;
  private final int attempt;
  /** RUN: the permissions the submitting context had (bits of the handler's choosing). */
  private final int permissions;
  /** RUN: the call; DONE/FAILED: the result or error; CAPACITY_IS: empty. */
  private final byte[] data;
  /** FAILED: the error's kind; EXITED, REFUSED, CANCELLED: a message. */
  private final String detail;
  /** CAPACITY_IS: worker count; EXITED: exit status. */
  private final int number;

  Carrier(int kind, String caller, String task, int attempt, int permissions, byte[] data, String detail,
      int number) {
    this.kind = kind;
    this.caller = Objects.requireNonNullElse(caller, "");
    this.task = Objects.requireNonNullElse(task, "");
    this.attempt = attempt;
    this.permissions = permissions;
    this.data = data == null ? new byte[0] : data;
    this.detail = Objects.requireNonNullElse(detail, "");
    this.number = number;
  }

  public static Carrier run(String caller, String task, int attempt, int permissions, String call) {
    return new Carrier(RUN, caller, task, attempt, permissions, latin1(call), null, 0);
  }

  public static Carrier cancel(String caller, String task, int attempt) {
    return new Carrier(CANCEL, caller, task, attempt, 0, null, null, 0);
  }

  public static Carrier capacity() {
    return new Carrier(CAPACITY, null, null, 0, 0, null, null, 0);
  }

  /** The progress {@code fraction} of the call {@code request} runs, for its caller. */
  public static Carrier progress(Carrier request, double fraction) {
    return new Carrier(PROGRESS, request.caller, request.task, request.attempt, 0, null, Double.toString(fraction), 0);
  }

  /**
   * A PROGRESS request's fraction.
   *
   * @throws IllegalArgumentException if it is not a number in [0, 1] (it came from the network)
   */
  public double fraction() {
    double f;
    try {
      f = Double.parseDouble(detail);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("progress must be a number, got '" + detail + "'");
    }
    io.makeparallel.task.Task.checkProgress(f);
    return f;
  }

  static Carrier members() {
    return new Carrier(MEMBERS, null, null, 0, 0, null, null, 0);
  }

  /** The reply to this request. */
  public Carrier reply(int kind, String data, String detail, int number) {
    return new Carrier(kind, caller, task, attempt, 0, data == null ? null : latin1(data), detail, number);
  }

  public int kind() {
    return kind;
  }

  public String caller() {
    return caller;
  }

  public String task() {
    return task;
  }

  public int attempt() {
    return attempt;
  }

  public int permissions() {
    return permissions;
  }

  /** The data as the latin-1 string it was made from (a pickle crossing to Python in bulk). */
  public String text() {
    return new String(data, StandardCharsets.ISO_8859_1);
  }

  public String detail() {
    return detail;
  }

  public int number() {
    return number;
  }

  /** Runs on the member the request was sent to: its handler answers. */
  @Override
  public Carrier apply(EmbeddedCacheManager manager) {
    if (kind == MEMBERS) {
      return reply(MEMBERS_ARE, null, ClusterNode.memberList(manager), 0);
    }
    return ClusterNode.answer(manager, this);
  }

  @Override
  public String toString() {
    return "Carrier[kind=" + kind + ", task=" + caller + "/" + task + "#" + attempt + ", " + data.length + " bytes]";
  }

  private static byte[] latin1(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  static final String PROTO = """
      syntax = "proto3";
      package makeparallel;
      message Carrier {
        int32 kind = 1;
        string caller = 2;
        string task = 3;
        int32 attempt = 4;
        int32 permissions = 5;
        bytes data = 6;
        string detail = 7;
        int32 number = 8;
      }
      """;

  /** Registers the carrier's schema and marshaller with Infinispan's serialization. */
  static final class Schema implements SerializationContextInitializer {
    @Override
    public void registerSchema(SerializationContext ctx) {
      ctx.registerProtoFiles(FileDescriptorSource.fromString("makeparallel/carrier.proto", PROTO));
    }

    @Override
    public void registerMarshallers(SerializationContext ctx) {
      ctx.registerMarshaller(new Marshaller());
    }
  }

  static final class Marshaller implements ProtobufTagMarshaller<Carrier> {
    @Override
    public Class<? extends Carrier> getJavaClass() {
      return Carrier.class;
    }

    @Override
    public String getTypeName() {
      return "makeparallel.Carrier";
    }

    @Override
    public Carrier read(ReadContext ctx) throws IOException {
      TagReader in = ctx.getReader();
      int kind = 0;
      int attempt = 0;
      int permissions = 0;
      int number = 0;
      String caller = null;
      String task = null;
      String detail = null;
      byte[] data = null;
      for (int tag; (tag = in.readTag()) != 0; ) {
        switch (tag >>> 3) {
          case 1 -> kind = in.readInt32();
          case 2 -> caller = in.readString();
          case 3 -> task = in.readString();
          case 4 -> attempt = in.readInt32();
          case 5 -> permissions = in.readInt32();
          case 6 -> data = in.readByteArray();
          case 7 -> detail = in.readString();
          case 8 -> number = in.readInt32();
          default -> {
            if (!in.skipField(tag)) {
              return new Carrier(kind, caller, task, attempt, permissions, data, detail, number);
            }
          }
        }
      }
      return new Carrier(kind, caller, task, attempt, permissions, data, detail, number);
    }

    @Override
    public void write(WriteContext ctx, Carrier c) throws IOException {
      TagWriter out = ctx.getWriter();
      out.writeInt32(1, c.kind);
      out.writeString(2, c.caller);
      out.writeString(3, c.task);
      out.writeInt32(4, c.attempt);
      out.writeInt32(5, c.permissions);
      out.writeBytes(6, c.data);
      out.writeString(7, c.detail);
      out.writeInt32(8, c.number);
    }
  }
}
