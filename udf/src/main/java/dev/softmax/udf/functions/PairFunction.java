package dev.softmax.udf.functions;

import dev.softmax.udf.SoftmaxCatalog;
import java.util.function.BiFunction;
import org.apache.spark.sql.connector.catalog.functions.BoundFunction;
import org.apache.spark.sql.connector.catalog.functions.UnboundFunction;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.StructType;

/**
 * The unbound form of a backward function of {@code (first, grad [, temperature])}, where first is
 * probabilities, logits or log-probabilities: binds by element type, which both arrays share.
 */
abstract class PairFunction implements UnboundFunction {
  /** Makes a bound function from the types of the first array and of grad. */
  @FunctionalInterface
  interface Binder extends BiFunction<ArrayType, ArrayType, BoundFunction> {}

  private final String name;
  private final String first;
  private final String usage;
  private final String summary;
  private final String firstMeaning;
  private final Binder floats;
  private final Binder doubles;
  private final Binder floatsWithTemperature;
  private final Binder doublesWithTemperature;

  PairFunction(
      String name,
      String first,
      String summary,
      String firstMeaning,
      Binder floats,
      Binder doubles,
      Binder floatsWithTemperature,
      Binder doublesWithTemperature) {
    this.name = name;
    this.first = first;
    this.usage = SoftmaxCatalog.DEFAULT_NAME + "." + name + "(" + first + ", grad [, temperature])";
    this.summary = summary;
    this.firstMeaning = firstMeaning;
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
        + "  "
        + first
        + ": "
        + firstMeaning
        + ", array<float> or array<double> (array<array<...>>: per token, and so grad)\n"
        + "  grad: the upstream gradient, an array of the same element type and length\n"
        + "  temperature: T used in the forward pass, a finite number > 0 (default 1)";
  }

  @Override
  public BoundFunction bind(StructType input) {
    return PerToken.applies(input)
        ? PerToken.bind(name, SoftmaxCatalog.DEFAULT_NAME + "." + name, input, this::bindRow)
        : bindRow(input);
  }

  /** Binds a call on one row of classes. */
  private BoundFunction bindRow(StructType input) {
    Signature.arity(usage, input, 2, 3);
    ArrayType a = Signature.floatingArray(usage, input, 0, first);
    ArrayType grad = Signature.sameElementType(usage, input, 1, "grad", a, first);
    boolean isFloat = Signature.isFloat(a);
    if (input.size() == 3) {
      Signature.numeric(usage, input, 2, "temperature");
      return (isFloat ? floatsWithTemperature : doublesWithTemperature).apply(a, grad);
    }
    return (isFloat ? floats : doubles).apply(a, grad);
  }
}
