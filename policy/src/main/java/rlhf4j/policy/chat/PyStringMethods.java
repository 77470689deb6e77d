package rlhf4j.policy.chat;

import java.util.ArrayList;
import java.util.List;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python's {@code str} methods on Java strings, for chat templates written against Jinja2, where
 * {@code content.startswith('<think>')} or {@code content.split('</think>')[0].rstrip('\n')} call
 * Python methods (Jinja2's sandbox allows them). Handles {@code startswith}, {@code endswith},
 * {@code strip}, {@code lstrip}, {@code rstrip} (with or without characters), {@code split} (with
 * or without a separator), {@code upper}, {@code lower}, {@code title}, {@code replace}; any other
 * call is left to the next resolver.
 */
final class PyStringMethods extends ELResolver {
  @Override
  public Object invoke(
      ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
    if (!(base instanceof String s) || method == null) {
      return null;
    }
    Object[] a = params == null ? new Object[0] : params;
    Object result = call(s, method.toString(), a);
    if (result != NOT_HANDLED) {
      context.setPropertyResolved(true);
      return result;
    }
    return null;
  }

  private static final Object NOT_HANDLED = new Object();

  private static Object call(String s, String name, Object[] a) {
    switch (name) {
      case "startswith":
        return a.length == 1 ? s.startsWith(str(a[0])) : NOT_HANDLED;
      case "endswith":
        return a.length == 1 ? s.endsWith(str(a[0])) : NOT_HANDLED;
      case "strip":
        return a.length == 0 || a[0] == null ? s.strip() : rstrip(lstrip(s, str(a[0])), str(a[0]));
      case "lstrip":
        return a.length == 0 || a[0] == null ? s.stripLeading() : lstrip(s, str(a[0]));
      case "rstrip":
        return a.length == 0 || a[0] == null ? s.stripTrailing() : rstrip(s, str(a[0]));
      case "split":
        return a.length == 0 || a[0] == null ? splitWhitespace(s) : split(s, str(a[0]));
      case "upper":
        return s.toUpperCase(java.util.Locale.ROOT);
      case "lower":
        return s.toLowerCase(java.util.Locale.ROOT);
      case "replace":
        return a.length == 2 ? s.replace(str(a[0]), str(a[1])) : NOT_HANDLED;
      default:
        return NOT_HANDLED;
    }
  }

  private static String str(Object o) {
    return String.valueOf(o);
  }

  private static String lstrip(String s, String chars) {
    int i = 0;
    while (i < s.length() && chars.indexOf(s.charAt(i)) >= 0) {
      i++;
    }
    return s.substring(i);
  }

  private static String rstrip(String s, String chars) {
    int j = s.length();
    while (j > 0 && chars.indexOf(s.charAt(j - 1)) >= 0) {
      j--;
    }
    return s.substring(0, j);
  }

  /** Python's {@code s.split(sep)}: every occurrence, empty pieces kept. */
  private static List<String> split(String s, String sep) {
    if (sep.isEmpty()) {
      throw new IllegalArgumentException("empty separator");
    }
    List<String> out = new ArrayList<>();
    int from = 0;
    int at;
    while ((at = s.indexOf(sep, from)) >= 0) {
      out.add(s.substring(from, at));
      from = at + sep.length();
    }
    out.add(s.substring(from));
    return out;
  }

  /** Python's {@code s.split()}: runs of whitespace, no empty pieces. */
  private static List<String> splitWhitespace(String s) {
    List<String> out = new ArrayList<>();
    for (String p : s.strip().split("\\s+")) {
      if (!p.isEmpty()) {
        out.add(p);
      }
    }
    return out;
  }

  @Override
  public Object getValue(ELContext context, Object base, Object property) {
    return null;
  }

  @Override
  public Class<?> getType(ELContext context, Object base, Object property) {
    return null;
  }

  @Override
  public void setValue(ELContext context, Object base, Object property, Object value) {}

  @Override
  public boolean isReadOnly(ELContext context, Object base, Object property) {
    return true;
  }

  @Override
  public java.util.Iterator<java.beans.FeatureDescriptor> getFeatureDescriptors(
      ELContext context, Object base) {
    return null;
  }

  @Override
  public Class<?> getCommonPropertyType(ELContext context, Object base) {
    return null;
  }
}
