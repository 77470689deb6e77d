package rlhf4j.cli;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;

/**
 * Generic types for {@code ConfigSection.get} of YAML lists and string-keyed maps, e.g. {@code
 * listOf(listOf(Long.class))} for {@code data.ids}.
 */
final class YamlTypes {
  private YamlTypes() {}

  /** {@code List<element>}. */
  static Type listOf(Type element) {
    return parameterized(List.class, element);
  }

  /** {@code Map<String, value>}. */
  static Type mapOf(Type value) {
    return parameterized(Map.class, String.class, value);
  }

  private static Type parameterized(Class<?> raw, Type... args) {
    return new ParameterizedType() {
      @Override
      public Type[] getActualTypeArguments() {
        return args.clone();
      }

      @Override
      public Type getRawType() {
        return raw;
      }

      @Override
      public Type getOwnerType() {
        return null;
      }
    };
  }
}
