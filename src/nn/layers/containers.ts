/** Sequential: calls its layers (Modules or functions) in order, each on the previous output. */
import { Module } from '../module.js';

export type Layer = Module | ((x: any) => any);

export class Sequential extends Module {
  layers: Layer[];

  constructor(...layers: Layer[]) {
    super();
    layers.forEach((l, i) => {
      if (!(l instanceof Module) && typeof l !== 'function') throw new TypeError(`Sequential: layer ${i} is neither a Module nor a function`);
    });
    this.layers = layers;
  }

  override forward(x: any): any {
    let y = x;
    for (const layer of this.layers) y = layer instanceof Module ? layer.forward(y) : layer(y);
    return y;
  }
}
