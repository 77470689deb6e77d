package rlhf4j.reward;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.util.Collections;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * Loads a reward from config, by short name or by class name.
 *
 * <ul>
 *   <li>A short name ({@code "length"}, {@code "keyword"}, {@code "regex"}, or any name a {@link
 *       RewardFunctionProvider} registers through {@link ServiceLoader}) builds the reward from the
 *       options map; the built-ins document their options in {@code rlhf4j.reward.builtin}.
 *   <li>A fully qualified class name instantiates that class: it must implement {@link
 *       RewardFunction} and have a public no-arg constructor, or, when options are given, a public
 *       constructor taking {@code Map<String, String>}.
 * </ul>
 *
 * <p>The result is returned as built; wrap it with {@link GuardedReward#of} before training.
 */
public final class RewardFunctions {
  private RewardFunctions() {}

  /** Loads {@code nameOrClass} without options. */
  public static RewardFunction load(String nameOrClass) {
    return load(nameOrClass, Map.of());
  }

  /**
   * Loads {@code nameOrClass} with {@code options}.
   *
   * @throws IllegalArgumentException for an unknown name, a class that is missing, of the wrong
   *     type or without a suitable public constructor, or bad options
   * @throws IllegalStateException if two providers register the same short name
   */
  public static RewardFunction load(String nameOrClass, Map<String, String> options) {
    if (nameOrClass == null || nameOrClass.isBlank()) {
      throw new IllegalArgumentException(
          "reward name must be a short name like 'length' or a class name, got '"
              + nameOrClass
              + "'");
    }
    String name = nameOrClass.trim();
    Map<String, String> opts = options == null ? Map.of() : options;
    Map<String, RewardFunctionProvider> providers = providers();
    RewardFunctionProvider provider = providers.get(name);
    if (provider != null) {
      return provider.create(opts);
    }
    if (name.indexOf('.') < 0) {
      throw new IllegalArgumentException(
          "unknown reward '"
              + name
              + "'; known short names: "
              + providers.keySet()
              + ", or give a fully qualified class name implementing "
              + RewardFunction.class.getName());
    }
    return instantiate(name, opts);
  }

  /** The registered providers by short name, sorted (built-ins and any found on the classpath). */
  public static Map<String, RewardFunctionProvider> providers() {
    Map<String, RewardFunctionProvider> byName = new TreeMap<>();
    try {
      for (RewardFunctionProvider p :
          ServiceLoader.load(RewardFunctionProvider.class, classLoader())) {
        RewardFunctionProvider old = byName.putIfAbsent(p.name(), p);
        if (old != null && old.getClass() != p.getClass()) {
          throw new IllegalStateException(
              "reward short name '"
                  + p.name()
                  + "' is registered twice, by "
                  + old.getClass().getName()
                  + " and "
                  + p.getClass().getName()
                  + "; rename one provider");
        }
      }
    } catch (ServiceConfigurationError e) {
      throw new IllegalStateException(
          "a META-INF/services/"
              + RewardFunctionProvider.class.getName()
              + " entry is broken: "
              + e.getMessage(),
          e);
    }
    return Collections.unmodifiableMap(byName);
  }

  private static RewardFunction instantiate(String className, Map<String, String> options) {
    Class<?> c;
    try {
      c = Class.forName(className, true, classLoader());
    } catch (ClassNotFoundException e) {
      throw new IllegalArgumentException(
          "reward class '"
              + className
              + "' not found; check the spelling and that its jar is on the classpath",
          e);
    } catch (LinkageError e) {
      throw new IllegalArgumentException(
          "reward class '" + className + "' could not be loaded: " + e, e);
    }
    if (!RewardFunction.class.isAssignableFrom(c)) {
      throw new IllegalArgumentException(
          "class '"
              + className
              + "' does not implement "
              + RewardFunction.class.getName()
              + "; add 'implements RewardFunction'");
    }
    if (c.isInterface() || Modifier.isAbstract(c.getModifiers())) {
      throw new IllegalArgumentException(
          "reward class '" + className + "' is abstract; name a concrete class");
    }
    Constructor<?> ctor;
    Object[] args;
    try {
      if (options.isEmpty()) {
        ctor = c.getConstructor();
        args = new Object[0];
      } else {
        ctor = c.getConstructor(Map.class);
        args = new Object[] {Map.copyOf(options)};
      }
    } catch (NoSuchMethodException e) {
      String wanted =
          options.isEmpty()
              ? "public no-arg constructor"
              : "public constructor taking Map<String, String> (options were given: "
                  + new TreeMap<>(options).keySet()
                  + ")";
      throw new IllegalArgumentException(
          "reward class '"
              + className
              + "' has no "
              + wanted
              + "; add one (and make the class public and top-level or static)",
          e);
    }
    try {
      return (RewardFunction) ctor.newInstance(args);
    } catch (InvocationTargetException e) {
      throw new IllegalArgumentException(
          "constructor of reward class '" + className + "' threw " + e.getCause(), e.getCause());
    } catch (IllegalAccessException | InstantiationException e) {
      throw new IllegalArgumentException(
          "reward class '"
              + className
              + "' cannot be instantiated ("
              + e
              + "); make the class and its constructor public",
          e);
    }
  }

  private static ClassLoader classLoader() {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    return cl != null ? cl : RewardFunctions.class.getClassLoader();
  }
}
