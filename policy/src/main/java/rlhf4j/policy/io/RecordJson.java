package rlhf4j.policy.io;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * A JSON codec for config and state records, by reflection over their components: one JSON field
 * per component under the component's name. Numbers, booleans, strings, enums (by name), {@code
 * OptionalDouble} (a number or null) and nested records are supported; reading goes through the
 * record's canonical constructor, so its validation runs and its message reaches the caller. Any
 * trainer's checkpoint can store its config and state with it.
 */
public final class RecordJson {
  private static final Gson GSON =
      new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeNulls().create();

  private RecordJson() {}

  /** {@code record} as a JSON object, components in declaration order. */
  public static JsonObject toJson(Record record) {
    JsonObject j = new JsonObject();
    for (RecordComponent c : record.getClass().getRecordComponents()) {
      j.add(c.getName(), element(get(c, record)));
    }
    return j;
  }

  /**
   * Builds a {@code type} from a JSON object written by {@link #toJson}.
   *
   * @param file the file the object came from, for messages
   * @throws CheckpointException naming the file and the field when one is missing or of the wrong
   *     type, or with the record's own message when it rejects a value
   */
  public static <R extends Record> R fromJson(Class<R> type, JsonObject json, Path file) {
    RecordComponent[] cs = type.getRecordComponents();
    Object[] args = new Object[cs.length];
    Class<?>[] types = new Class<?>[cs.length];
    for (int i = 0; i < cs.length; i++) {
      RecordComponent c = cs[i];
      types[i] = c.getType();
      JsonElement v = json.get(c.getName());
      if (v == null) {
        throw CheckpointException.of(file, "has no '" + c.getName() + "'");
      }
      try {
        args[i] = value(c.getType(), v, file);
      } catch (CheckpointException e) {
        throw e;
      } catch (RuntimeException e) {
        throw CheckpointException.of(
            file, "'" + c.getName() + "' = " + v + " is not a " + c.getType().getSimpleName());
      }
    }
    try {
      Constructor<R> ctor = type.getDeclaredConstructor(types);
      ctor.setAccessible(true);
      return ctor.newInstance(args);
    } catch (InvocationTargetException e) {
      throw new CheckpointException(file + ": " + e.getCause().getMessage(), e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot build " + type.getName() + ": " + e, e);
    }
  }

  /**
   * The components in which two records of one type differ, as {@code "name a -> b"}; empty when
   * they are equal.
   */
  public static <R extends Record> List<String> differences(R a, R b) {
    if (a.getClass() != b.getClass()) {
      throw new IllegalArgumentException(
          "cannot compare a " + a.getClass().getName() + " with a " + b.getClass().getName());
    }
    List<String> diffs = new ArrayList<>();
    for (RecordComponent c : a.getClass().getRecordComponents()) {
      Object x = get(c, a);
      Object y = get(c, b);
      if (!Objects.equals(x, y)) {
        diffs.add(c.getName() + " " + x + " -> " + y);
      }
    }
    return diffs;
  }

  /** Pretty-printed JSON text, nulls kept, no HTML escaping. */
  public static String format(JsonElement json) {
    return GSON.toJson(json);
  }

  /**
   * Reads a JSON object from {@code file}.
   *
   * @param hint what to do when the file is missing ("pass a checkpoint folder written by ...")
   * @throws CheckpointException naming the file when it is missing, unreadable or not an object
   */
  public static JsonObject readObject(Path file, String hint) {
    if (!Files.isRegularFile(file)) {
      throw CheckpointException.of(file, "is missing; " + hint);
    }
    try {
      JsonElement e = JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8));
      if (!e.isJsonObject()) {
        throw CheckpointException.of(file, "is not a JSON object");
      }
      return e.getAsJsonObject();
    } catch (IOException e) {
      throw new CheckpointException(file + ": cannot read: " + e.getMessage(), e);
    } catch (JsonParseException e) {
      throw CheckpointException.of(file, "is not valid JSON: " + e.getMessage());
    }
  }

  private static JsonElement element(Object v) {
    if (v == null) {
      return JsonNull.INSTANCE;
    } else if (v instanceof OptionalDouble od) {
      return od.isPresent() ? new JsonPrimitive(od.getAsDouble()) : JsonNull.INSTANCE;
    } else if (v instanceof Number n) {
      return new JsonPrimitive(n);
    } else if (v instanceof Boolean b) {
      return new JsonPrimitive(b);
    } else if (v instanceof String s) {
      return new JsonPrimitive(s);
    } else if (v instanceof Enum<?> e) {
      return new JsonPrimitive(e.name());
    } else if (v instanceof Record r) {
      return toJson(r);
    }
    throw new IllegalArgumentException(
        "RecordJson cannot write a "
            + v.getClass().getName()
            + "; use numbers, booleans,"
            + " strings, enums, OptionalDouble or records");
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Object value(Class<?> type, JsonElement v, Path file) {
    if (type == OptionalDouble.class) {
      return v.isJsonNull() ? OptionalDouble.empty() : OptionalDouble.of(v.getAsDouble());
    } else if (v.isJsonNull() && !type.isPrimitive()) {
      return null;
    } else if (type == double.class || type == Double.class) {
      return v.getAsDouble();
    } else if (type == float.class || type == Float.class) {
      return v.getAsFloat();
    } else if (type == long.class || type == Long.class) {
      return v.getAsLong();
    } else if (type == int.class || type == Integer.class) {
      return v.getAsInt();
    } else if (type == boolean.class || type == Boolean.class) {
      if (!v.getAsJsonPrimitive().isBoolean()) {
        throw new IllegalArgumentException("not a boolean");
      }
      return v.getAsBoolean();
    } else if (type == String.class) {
      return v.getAsString();
    } else if (type.isEnum()) {
      return Enum.valueOf((Class<Enum>) type, v.getAsString());
    } else if (type.isRecord()) {
      return fromJson((Class<Record>) type, v.getAsJsonObject(), file);
    }
    throw new IllegalStateException("RecordJson cannot read a " + type.getName());
  }

  private static Object get(RecordComponent c, Object record) {
    try {
      c.getAccessor().setAccessible(true);
      return c.getAccessor().invoke(record);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }
}
