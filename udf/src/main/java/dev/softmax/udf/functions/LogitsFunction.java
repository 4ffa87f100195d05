package dev.softmax.udf.functions;

import dev.softmax.udf.SoftmaxCatalog;
import java.util.function.Function;
import org.apache.spark.sql.connector.catalog.functions.BoundFunction;
import org.apache.spark.sql.connector.catalog.functions.UnboundFunction;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.StructType;

/** The unbound form of a function of {@code (logits [, temperature])}: binds by element type. */
abstract class LogitsFunction implements UnboundFunction {
  private final String name;
  private final String usage;
  private final String summary;
  private final Function<ArrayType, BoundFunction> floats;
  private final Function<ArrayType, BoundFunction> doubles;
  private final Function<ArrayType, BoundFunction> floatsWithTemperature;
  private final Function<ArrayType, BoundFunction> doublesWithTemperature;

  LogitsFunction(
      String name,
      String summary,
      Function<ArrayType, BoundFunction> floats,
      Function<ArrayType, BoundFunction> doubles,
      Function<ArrayType, BoundFunction> floatsWithTemperature,
      Function<ArrayType, BoundFunction> doublesWithTemperature) {
    this.name = name;
    this.usage = SoftmaxCatalog.DEFAULT_NAME + "." + name + "(logits [, temperature])";
    this.summary = summary;
    this.floats = floats;
    this.doubles = doubles;
    this.floatsWithTemperature = floatsWithTemperature;
    this.doublesWithTemperature = doublesWithTemperature;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String description() {
    return usage
        + " - "
        + summary
        + "\n"
        + "  logits: array<float> or array<double>; the result has the same element type"
        + " (array<array<...>>: per token, along the last axis)\n"
        + "  temperature: T, a finite number > 0 (default 1)";
  }

  @Override
  public BoundFunction bind(StructType input) {
    return PerToken.applies(input)
        ? PerToken.bind(name, SoftmaxCatalog.DEFAULT_NAME + "." + name, input, this::bindRow)
        : bindRow(input);
  }

  /** Binds a call on one row of classes. */
  private BoundFunction bindRow(StructType input) {
    Signature.arity(usage, input, 1, 2);
    ArrayType logits = Signature.floatingArray(usage, input, 0, "logits");
    boolean isFloat = Signature.isFloat(logits);
    if (input.size() == 2) {
      Signature.numeric(usage, input, 1, "temperature");
      return (isFloat ? floatsWithTemperature : doublesWithTemperature).apply(logits);
    }
    return (isFloat ? floats : doubles).apply(logits);
  }
}
