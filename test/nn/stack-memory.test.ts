/**
 * Layer stacks run each layer in its own scope (nn/recompute.ts stackLayerForward), so an uncompiled
 * forward holds one layer's temporaries at a time, not every layer's: the peak MLX memory of a forward
 * must not grow with depth. Measured as peak minus the memory active before the call, for 2 and 6 layers:
 * MLX's CPU scheduler runs a bounded number of kernels ahead of the stream, and with the fused kernels a
 * layer is few enough kernels that two layers' temporaries can be in flight, so one layer alone is not the
 * baseline; growth with depth would still show as ~3× at 6 layers.
 */
import { describe, expect, it } from 'vitest';
import { mx, models, nn } from '../../src/index.js';

function forwardPeak(run: () => mx.Array): number {
  mx.clearCache();
  mx.resetPeakMemory();
  const before = mx.getActiveMemory();
  mx.tidy(() => {
    mx.eval(run());
  });
  return mx.getPeakMemory() - before;
}

const tiny = { vocabSize: 100, hiddenSize: 64, numAttentionHeads: 4, intermediateSize: 256, maxPositionEmbeddings: 128 };

describe('forward memory of layer stacks does not grow with depth', () => {
  it('nn.TransformerEncoder', () => {
    mx.random.seed(3);
    const x = mx.random.normal([16, 128, 64]);
    mx.eval(x);
    const peak = (layers: number) => {
      const m = new nn.TransformerEncoder(layers, 64, 4, { mlpDims: 256 });
      m.eval();
      mx.eval(m.parameters());
      return forwardPeak(() => m.forward(x));
    };
    const two = peak(2);
    const six = peak(6);
    // Six layers' temporaries alive at once would be ~3× two layers'.
    expect(six).toBeLessThan(two * 1.5);
  });

  for (const family of ['bert', 'modernbert'] as const) {
    it(`models: ${family}`, () => {
      mx.random.seed(4);
      const ids = mx.random.randint(5, 100, [16, 128]).astype('int32');
      mx.eval(ids);
      const peak = (numHiddenLayers: number) => {
        const m = family === 'bert' ? new models.BertModel(models.bertConfig('tiny', { ...tiny, numHiddenLayers })) : new models.ModernBertModel(models.modernBertConfig('tiny', { ...tiny, numHiddenLayers }));
        m.eval();
        mx.eval(m.parameters());
        return forwardPeak(() => m.forward(ids));
      };
      const two = peak(2);
      const six = peak(6);
      expect(six).toBeLessThan(two * 1.5);
    });
  }
});
