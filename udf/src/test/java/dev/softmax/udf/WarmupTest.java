package dev.softmax.udf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import java.util.List;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.connector.catalog.functions.ScalarFunction;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The warm-up runs every function on good rows, of both kinds of Spark array, without a session.
 */
class WarmupTest {
  /** Every function of arrays alone; the losses take scalars too, and no job command calls them. */
  @ParameterizedTest
  @EnumSource(
      value = SqlFunction.class,
      mode = EnumSource.Mode.EXCLUDE,
      names = {
        "CROSS_ENTROPY",
        "CROSS_ENTROPY_BACKWARD",
        "KL_DISTILL",
        "KL_DISTILL_BACKWARD",
        "SOFTMAX_ENTROPY",
        "SOFTMAX_TOPK"
      })
  void runsEachFunction(SqlFunction f) {
    assertThatCode(() -> Warmup.run(List.of(f), 4)).doesNotThrowAnyException();
  }

  /** The rows take the path real rows take: every check finds them good. */
  @ParameterizedTest
  @EnumSource(
      value = SqlFunction.class,
      names = {"CHECK_LOGITS", "CHECK_VALUES"})
  void itsRowsPassTheChecks(SqlFunction check) {
    ScalarFunction<?> bound =
        (ScalarFunction<?>)
            check
                .function()
                .bind(new StructType().add("a", new ArrayType(DataTypes.FloatType, false)));
    ArrayData[] arrays = Warmup.arrays(Warmup.WIDTH + 1);
    assertThat(arrays).hasSize(2);
    assertThat(arrays[0].getClass()).isNotEqualTo(arrays[1].getClass());
    for (ArrayData a : arrays) {
      assertThat(a.numElements()).isEqualTo(Warmup.WIDTH + 1);
      assertThat(bound.produceResult(new GenericInternalRow(new Object[] {a}))).isNull();
    }
  }

  @Test
  void theBackgroundThreadEnds() throws InterruptedException {
    Thread t = Warmup.inBackground(List.of(SqlFunction.CHECK_LOGITS, SqlFunction.SOFTMAX));
    assertThat(t.isDaemon()).isTrue();
    t.join(120_000);
    assertThat(t.isAlive()).isFalse();
  }
}
