package rlhf4j.reward.remote;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;

/** The wire format shared by the client and the reference server. Field names live only here. */
final class ScoreJson {
  static final String PROMPTS = "prompts";
  static final String RESPONSES = "responses";
  static final String SCORES = "scores";

  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

  private ScoreJson() {}

  /** A malformed document; the message says what is wrong. */
  static final class FormatException extends Exception {
    private static final long serialVersionUID = 1L;

    FormatException(String message) {
      super(message);
    }

    FormatException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Prompts and responses of one request, same length. */
  record Request(List<String> prompts, List<String> responses) {}

  static String encodeRequest(List<String> prompts, List<String> responses) {
    JsonObject o = new JsonObject();
    o.add(PROMPTS, strings(prompts));
    o.add(RESPONSES, strings(responses));
    return GSON.toJson(o);
  }

  static String encodeScores(float[] scores) {
    JsonArray a = new JsonArray(scores.length);
    for (float s : scores) {
      a.add(s);
    }
    JsonObject o = new JsonObject();
    o.add(SCORES, a);
    return GSON.toJson(o);
  }

  static String encodeError(String message) {
    JsonObject o = new JsonObject();
    o.addProperty("error", message);
    return GSON.toJson(o);
  }

  static Request decodeRequest(String body) throws FormatException {
    JsonObject o = parseObject(body);
    List<String> prompts = stringArray(o, PROMPTS);
    List<String> responses = stringArray(o, RESPONSES);
    if (prompts.size() != responses.size()) {
      throw new FormatException(
          "'"
              + PROMPTS
              + "' has "
              + prompts.size()
              + " entries but '"
              + RESPONSES
              + "' has "
              + responses.size());
    }
    return new Request(prompts, responses);
  }

  /** Reads {@code {"scores": [...]}} with exactly {@code expected} finite numbers. */
  static float[] decodeScores(String body, int expected) throws FormatException {
    JsonObject o = parseObject(body);
    JsonElement e = o.get(SCORES);
    if (e == null || !e.isJsonArray()) {
      throw new FormatException("the response has no '" + SCORES + "' array");
    }
    JsonArray a = e.getAsJsonArray();
    if (a.size() != expected) {
      throw new FormatException(
          "the response has " + a.size() + " scores for " + expected + " samples");
    }
    float[] scores = new float[expected];
    for (int i = 0; i < expected; i++) {
      JsonElement x = a.get(i);
      if (!(x instanceof JsonPrimitive p) || !p.isNumber()) {
        throw new FormatException(SCORES + "[" + i + "] is not a number: " + x);
      }
      double d = p.getAsDouble();
      float f = (float) d;
      if (!Float.isFinite(f)) {
        throw new FormatException(SCORES + "[" + i + "] is not a finite float: " + p);
      }
      scores[i] = f;
    }
    return scores;
  }

  private static JsonObject parseObject(String body) throws FormatException {
    JsonElement root;
    try {
      JsonReader reader = new JsonReader(new StringReader(body));
      reader.setStrictness(Strictness.STRICT);
      root = JsonParser.parseReader(reader);
      if (reader.peek() != JsonToken.END_DOCUMENT) {
        throw new FormatException("not valid JSON: trailing data after the document");
      }
    } catch (JsonParseException | IOException | IllegalStateException e) {
      throw new FormatException("not valid JSON: " + e.getMessage(), e);
    }
    if (!root.isJsonObject()) {
      throw new FormatException("expected a JSON object, got " + kind(root));
    }
    return root.getAsJsonObject();
  }

  private static List<String> stringArray(JsonObject o, String key) throws FormatException {
    JsonElement e = o.get(key);
    if (e == null || !e.isJsonArray()) {
      throw new FormatException("missing '" + key + "' array of strings");
    }
    List<String> out = new ArrayList<>();
    JsonArray a = e.getAsJsonArray();
    for (int i = 0; i < a.size(); i++) {
      JsonElement x = a.get(i);
      if (!(x instanceof JsonPrimitive p) || !p.isString()) {
        throw new FormatException(key + "[" + i + "] is not a string");
      }
      out.add(p.getAsString());
    }
    return out;
  }

  private static JsonArray strings(List<String> xs) {
    JsonArray a = new JsonArray(xs.size());
    for (String x : xs) {
      a.add(x);
    }
    return a;
  }

  private static String kind(JsonElement e) {
    if (e.isJsonArray()) {
      return "an array";
    }
    if (e.isJsonNull()) {
      return "null";
    }
    return "a " + (e.getAsJsonPrimitive().isString() ? "string" : "scalar");
  }
}
