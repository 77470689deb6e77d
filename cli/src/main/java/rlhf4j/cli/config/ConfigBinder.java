package rlhf4j.cli.config;

import com.google.gson.JsonElement;
import com.google.gson.JsonPrimitive;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.stream.Collectors;

/**
 * Binds YAML keys onto a library config's own builder by reflection: key {@code learning_rate}
 * calls {@code learningRate(x)} (or {@code optLearningRate(x)}, DJL style); an alias table maps
 * keys whose HF / TRL / PEFT name differs from the builder's method ({@code num_train_epochs →
 * epochs}). Values are converted to the method's parameter type (numbers, strings, booleans, enums,
 * lists, maps, paths, optionals), refusing non-integers in integer parameters and numbers out of
 * range. The builder's {@code build()} (the record's compact constructor) does all other
 * validation; there is no second copy of the rules here.
 */
public final class ConfigBinder {
  private ConfigBinder() {}

  /**
   * The YAML keys {@code builderType} accepts, in declaration order: every public one-argument
   * method returning the builder, with a convertible parameter, named by its snake_case name (less
   * an {@code opt} prefix) or by its alias.
   *
   * @param aliases YAML key → builder method name
   * @return YAML key → builder method name
   */
  public static Map<String, String> keys(Class<?> builderType, Map<String, String> aliases) {
    Map<String, String> byMethod = new LinkedHashMap<>();
    aliases.forEach((key, method) -> byMethod.put(method, key));
    Map<String, String> out = new LinkedHashMap<>();
    for (Method m : setters(builderType)) {
      String name = m.getName();
      out.putIfAbsent(byMethod.getOrDefault(name, KeyNames.snake(javaName(name))), name);
    }
    for (Map.Entry<String, String> a : aliases.entrySet()) {
      if (!out.containsKey(a.getKey())) {
        throw new IllegalStateException(
            "alias " + a.getKey() + " names no setter " + a.getValue() + " of " + builderType);
      }
    }
    return out;
  }

  /** The field a setter sets: {@code optLearningRate} → {@code learningRate}. */
  static String javaName(String method) {
    if (method.length() > 3
        && method.startsWith("opt")
        && Character.isUpperCase(method.charAt(3))) {
      return Character.toLowerCase(method.charAt(3)) + method.substring(4);
    }
    return method;
  }

  private static List<Method> setters(Class<?> builderType) {
    List<Method> out = new ArrayList<>();
    for (Method m : builderType.getMethods()) {
      if (m.getParameterCount() == 1
          && !Modifier.isStatic(m.getModifiers())
          && builderType.isAssignableFrom(m.getReturnType())
          && m.getDeclaringClass() == builderType
          && convertible(m.getGenericParameterTypes()[0])) {
        out.add(m);
      }
    }
    List<String> fields = fieldOrder(builderType);
    out.sort(
        Comparator.comparingInt(
                (Method m) -> {
                  int i = fields.indexOf(javaName(m.getName()));
                  return i < 0 ? Integer.MAX_VALUE : i;
                })
            .thenComparing(Method::getName));
    return out;
  }

  /** The components of the record {@code build()} returns, in declaration order (else none). */
  private static List<String> fieldOrder(Class<?> builderType) {
    try {
      Class<?> built = builderType.getMethod("build").getReturnType();
      if (built.isRecord()) {
        return Arrays.stream(built.getRecordComponents()).map(RecordComponent::getName).toList();
      }
    } catch (NoSuchMethodException e) {
      // no build(): alphabetical order
    }
    return List.of();
  }

  /**
   * Calls {@code builder.<method>(value)}, choosing among overloads by the value's shape.
   *
   * @throws IllegalArgumentException with a message about the value (the caller adds the key)
   */
  public static void set(Object builder, String method, JsonElement value) {
    List<Method> candidates =
        setters(builder.getClass()).stream().filter(m -> m.getName().equals(method)).toList();
    Method chosen = choose(candidates, value);
    Object arg = convert(value, chosen.getGenericParameterTypes()[0]);
    try {
      chosen.invoke(builder, arg);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Method choose(List<Method> candidates, JsonElement value) {
    Method fallback = null;
    for (Method m : candidates) {
      Class<?> p = m.getParameterTypes()[0];
      boolean optional =
          p == OptionalDouble.class || p == OptionalInt.class || p == OptionalLong.class;
      boolean many = List.class.isAssignableFrom(p) || p.isArray();
      if (value.isJsonNull() ? optional : value.isJsonArray() ? many : !optional && !many) {
        return m;
      }
      fallback = fallback == null ? m : fallback;
    }
    if (value.isJsonNull()) {
      throw new IllegalArgumentException("needs a value (null is not allowed here)");
    }
    return fallback;
  }

  private static boolean convertible(Type type) {
    if (type instanceof ParameterizedType pt) {
      Class<?> raw = (Class<?>) pt.getRawType();
      Type[] args = pt.getActualTypeArguments();
      if (raw == List.class) {
        return convertible(args[0]);
      }
      return raw == Map.class && args[0] == String.class && convertible(args[1]);
    }
    if (!(type instanceof Class<?> c)) {
      return false;
    }
    return c.isPrimitive() && c != char.class && c != void.class
        || c == Integer.class
        || c == Long.class
        || c == Double.class
        || c == Float.class
        || c == Boolean.class
        || c == String.class
        || c == Path.class
        || c == OptionalDouble.class
        || c == OptionalInt.class
        || c == OptionalLong.class
        || c.isEnum()
        || c.isArray() && convertible(c.getComponentType());
  }

  /**
   * {@code node} as a value of {@code type}.
   *
   * @throws IllegalArgumentException naming the expected kind and the value found
   */
  public static Object convert(JsonElement node, Type type) {
    if (type instanceof ParameterizedType pt) {
      Class<?> raw = (Class<?>) pt.getRawType();
      Type[] args = pt.getActualTypeArguments();
      if (raw == List.class) {
        if (!node.isJsonArray()) {
          throw new IllegalArgumentException("must be a list, got " + shown(node));
        }
        List<Object> out = new ArrayList<>();
        int i = 0;
        for (JsonElement e : node.getAsJsonArray()) {
          out.add(element(e, args[0], "[" + i++ + "]"));
        }
        return out;
      }
      if (!node.isJsonObject()) {
        throw new IllegalArgumentException("must be a mapping, got " + shown(node));
      }
      Map<String, Object> out = new LinkedHashMap<>();
      for (Map.Entry<String, JsonElement> e : node.getAsJsonObject().entrySet()) {
        out.put(e.getKey(), element(e.getValue(), args[1], "." + e.getKey()));
      }
      return out;
    }
    Class<?> c = (Class<?>) type;
    if (c.isArray()) {
      List<?> list = (List<?>) convert(node, new ListType(c.getComponentType()));
      Object array = java.lang.reflect.Array.newInstance(c.getComponentType(), list.size());
      for (int i = 0; i < list.size(); i++) {
        java.lang.reflect.Array.set(array, i, list.get(i));
      }
      return array;
    }
    if (node.isJsonNull()) {
      if (c == OptionalDouble.class) {
        return OptionalDouble.empty();
      }
      if (c == OptionalInt.class) {
        return OptionalInt.empty();
      }
      if (c == OptionalLong.class) {
        return OptionalLong.empty();
      }
      throw new IllegalArgumentException("needs a value (null is not allowed here)");
    }
    if (c == int.class || c == Integer.class || c == OptionalInt.class) {
      long v = integer(node, Integer.MIN_VALUE, Integer.MAX_VALUE);
      return c == OptionalInt.class ? OptionalInt.of((int) v) : (Object) (int) v;
    }
    if (c == long.class || c == Long.class || c == OptionalLong.class) {
      long v = integer(node, Long.MIN_VALUE, Long.MAX_VALUE);
      return c == OptionalLong.class ? OptionalLong.of(v) : (Object) v;
    }
    if (c == double.class || c == Double.class || c == OptionalDouble.class) {
      double v = number(node);
      return c == OptionalDouble.class ? OptionalDouble.of(v) : (Object) v;
    }
    if (c == float.class || c == Float.class) {
      double v = number(node);
      if (Double.isFinite(v) && Float.isInfinite((float) v)) {
        throw new IllegalArgumentException(
            "must be a number within +-" + Float.MAX_VALUE + ", got " + shown(node));
      }
      return (float) v;
    }
    if (c == boolean.class || c == Boolean.class) {
      if (!(node.isJsonPrimitive() && node.getAsJsonPrimitive().isBoolean())) {
        throw new IllegalArgumentException("must be true or false, got " + shown(node));
      }
      return node.getAsBoolean();
    }
    if (c == String.class || c == Path.class) {
      if (!node.isJsonPrimitive()) {
        throw new IllegalArgumentException("must be a string, got " + shown(node));
      }
      String text = spelled(node.getAsJsonPrimitive());
      return c == Path.class ? Path.of(text) : text;
    }
    if (c.isEnum()) {
      return enumValue(node, c);
    }
    throw new IllegalStateException("cannot convert to " + type);
  }

  private static Object element(JsonElement e, Type type, String where) {
    try {
      return convert(e, type);
    } catch (IllegalArgumentException ex) {
      throw new IllegalArgumentException(where + " " + ex.getMessage(), ex);
    }
  }

  private static long integer(JsonElement node, long min, long max) {
    BigInteger v = integral(node);
    if (v == null) {
      throw new IllegalArgumentException("must be an integer, got " + shown(node));
    }
    if (v.compareTo(BigInteger.valueOf(min)) < 0 || v.compareTo(BigInteger.valueOf(max)) > 0) {
      throw new IllegalArgumentException(
          "must be an integer in [" + min + ", " + max + "], got " + v);
    }
    return v.longValueExact();
  }

  /** {@code node}'s value when it is an integer (not {@code 2.0}, not {@code "2"}), else null. */
  private static BigInteger integral(JsonElement node) {
    if (!(node.isJsonPrimitive() && node.getAsJsonPrimitive().isNumber())) {
      return null;
    }
    Number n = node.getAsNumber();
    if (n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof Byte) {
      return BigInteger.valueOf(n.longValue());
    }
    if (n instanceof BigInteger b) {
      return b;
    }
    if (n instanceof Double || n instanceof Float || n instanceof BigDecimal) {
      return null;
    }
    String text = n.toString(); // a number Gson parsed lazily from JSON text
    return text.matches("-?[0-9]+") ? new BigInteger(text) : null;
  }

  /**
   * A number; refuses NaN ({@code .nan} is valid YAML but no setting means it). {@code .inf} goes
   * on to the library's validation, which refuses it where a setting must be finite ({@link
   * ConfigSection#build} then adds why).
   */
  private static double number(JsonElement node) {
    double v;
    if (node.isJsonPrimitive() && node.getAsJsonPrimitive().isNumber()) {
      v = node.getAsDouble();
    } else if (node.isJsonPrimitive() && node.getAsJsonPrimitive().isString()) {
      v =
          switch (node.getAsString().toLowerCase(Locale.ROOT)) {
            case ".inf", "inf", "+.inf" -> Double.POSITIVE_INFINITY;
            case "-.inf", "-inf" -> Double.NEGATIVE_INFINITY;
            case ".nan", "nan" -> Double.NaN;
            default -> throw new IllegalArgumentException("must be a number, got " + shown(node));
          };
    } else {
      throw new IllegalArgumentException("must be a number, got " + shown(node));
    }
    if (Double.isNaN(v)) {
      throw new IllegalArgumentException(
          "must be a finite number; "
              + NON_FINITE_HINT.formatted(spelled(node.getAsJsonPrimitive())));
    }
    return v;
  }

  /** Why a {@code .nan} or {@code .inf} that the YAML parser accepted is refused. */
  static final String NON_FINITE_HINT = "%s is valid YAML but not a usable setting here";

  /** Whether {@code node} is a non-finite number ({@code .nan}, {@code .inf}, {@code -.inf}). */
  static boolean nonFinite(JsonElement node) {
    return node != null
        && node.isJsonPrimitive()
        && node.getAsJsonPrimitive().isNumber()
        && !(node.getAsNumber() instanceof BigInteger)
        && !Double.isFinite(node.getAsDouble());
  }

  /** A scalar as the user would write it: YAML's {@code .nan}, {@code .inf}, {@code -.inf}. */
  static String spelled(JsonPrimitive p) {
    if (p.isNumber() && nonFinite(p)) {
      double v = p.getAsDouble();
      return Double.isNaN(v) ? ".nan" : v > 0 ? ".inf" : "-.inf";
    }
    return p.getAsString();
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Object enumValue(JsonElement node, Class<?> c) {
    String valid =
        Arrays.stream(c.getEnumConstants())
            .map(e -> ((Enum<?>) e).name().toLowerCase(Locale.ROOT))
            .collect(Collectors.joining(", "));
    if (!(node.isJsonPrimitive() && node.getAsJsonPrimitive().isString())) {
      throw new IllegalArgumentException("must be one of " + valid + ", got " + shown(node));
    }
    String name = node.getAsString().trim().toUpperCase(Locale.ROOT).replace('-', '_');
    try {
      return Enum.valueOf((Class<? extends Enum>) c, name);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "must be one of " + valid + ", got '" + node.getAsString() + "'", e);
    }
  }

  private static String shown(JsonElement node) {
    if (node.isJsonPrimitive()) {
      JsonPrimitive p = node.getAsJsonPrimitive();
      return p.isString() ? "'" + p.getAsString() + "'" : spelled(p);
    }
    return node.toString();
  }

  /** {@code List<T>} for an array component type. */
  private record ListType(Type element) implements ParameterizedType {
    @Override
    public Type[] getActualTypeArguments() {
      return new Type[] {element};
    }

    @Override
    public Type getRawType() {
      return List.class;
    }

    @Override
    public Type getOwnerType() {
      return null;
    }
  }
}
