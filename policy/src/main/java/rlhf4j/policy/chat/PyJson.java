package rlhf4j.policy.chat;

import java.util.Collection;
import java.util.Iterator;
import java.util.Map;

/**
 * Python's {@code json.dumps(x, ensure_ascii=False, indent=indent)}, which transformers' chat
 * templates call as the {@code tojson} filter (chat_template_utils.py {@code tojson}): separators
 * {@code ", "} and {@code ": "} without indent, {@code ","} and {@code ": "} with one, non-ASCII
 * characters kept, control characters escaped.
 */
final class PyJson {
  private PyJson() {}

  /** {@code json.dumps(x, ensure_ascii=False, indent=indent)}; indent null for one line. */
  static String dumps(Object x, Integer indent) {
    StringBuilder sb = new StringBuilder();
    write(sb, x, indent, 0);
    return sb.toString();
  }

  private static void write(StringBuilder sb, Object x, Integer indent, int depth) {
    if (x == null) {
      sb.append("null");
    } else if (x instanceof Boolean b) {
      sb.append(b ? "true" : "false");
    } else if (x instanceof Double || x instanceof Float) {
      sb.append(pyFloat(((Number) x).doubleValue()));
    } else if (x instanceof Number n) {
      sb.append(n.longValue());
    } else if (x instanceof Map<?, ?> m) {
      if (m.isEmpty()) {
        sb.append("{}");
        return;
      }
      sb.append('{');
      Iterator<? extends Map.Entry<?, ?>> it = m.entrySet().iterator();
      while (it.hasNext()) {
        Map.Entry<?, ?> e = it.next();
        newline(sb, indent, depth + 1);
        string(sb, String.valueOf(e.getKey()));
        sb.append(": ");
        write(sb, e.getValue(), indent, depth + 1);
        if (it.hasNext()) {
          sb.append(indent == null ? ", " : ",");
        }
      }
      newline(sb, indent, depth);
      sb.append('}');
    } else if (x instanceof Collection<?> c) {
      if (c.isEmpty()) {
        sb.append("[]");
        return;
      }
      sb.append('[');
      Iterator<?> it = c.iterator();
      while (it.hasNext()) {
        newline(sb, indent, depth + 1);
        write(sb, it.next(), indent, depth + 1);
        if (it.hasNext()) {
          sb.append(indent == null ? ", " : ",");
        }
      }
      newline(sb, indent, depth);
      sb.append(']');
    } else {
      string(sb, x.toString());
    }
  }

  private static void newline(StringBuilder sb, Integer indent, int depth) {
    if (indent != null) {
      sb.append('\n').append(" ".repeat(indent * depth));
    }
  }

  /** Python's float repr for the common cases (integral values keep ".0"). */
  private static String pyFloat(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    if (d == Math.rint(d) && Math.abs(d) < 1e16) {
      return (long) d + ".0";
    }
    return Double.toString(d);
  }

  private static void string(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      switch (ch) {
        case '"':
          sb.append("\\\"");
          break;
        case '\\':
          sb.append("\\\\");
          break;
        case '\n':
          sb.append("\\n");
          break;
        case '\r':
          sb.append("\\r");
          break;
        case '\t':
          sb.append("\\t");
          break;
        case '\b':
          sb.append("\\b");
          break;
        case '\f':
          sb.append("\\f");
          break;
        default:
          if (ch < 0x20) {
            sb.append(String.format("\\u%04x", (int) ch));
          } else {
            sb.append(ch);
          }
      }
    }
    sb.append('"');
  }
}
