import { useLayoutEffect, useState, type RefObject } from 'react';

/** Lists up to this long render every row; longer ones render the rows in view (issue 15). */
export const WINDOWED_FROM = 100;
/** Rows rendered above and below the visible ones, so a scroll rarely shows an empty edge. */
const OVERSCAN = 10;
/** First guess of a row's height (px), until rows have been measured. */
const ESTIMATED_ROW_PX = 72;
/** Rows of the first render, before anything was measured: the window's height of them. */
function firstRender(count: number): number {
  const height = typeof window === 'undefined' ? 1000 : window.innerHeight;
  return Math.min(count, Math.ceil(height / ESTIMATED_ROW_PX) + OVERSCAN);
}

export interface WindowedRange {
  /** Rows [start, end) are rendered. */
  start: number;
  end: number;
  /** Space (px) standing in for the rows above and below. */
  padTop: number;
  padBottom: number;
}

/**
 * Which rows of a long list to render: those in the scroll container's view plus some on either
 * side, with padding for the rest so the scrollbar keeps the list's full length. Rendering 500
 * account rows took ~0.5–1 s here; the rows in view take a few ms. Row heights vary a little
 * (scopes wrap), so the height used for the padding is the average of the rows rendered.
 *
 * `listRef` is the list element; the scroll container is its nearest `.content` ancestor (the
 * window's main area), else the document.
 */
export function useWindowedRange(listRef: RefObject<HTMLElement | null>, count: number): WindowedRange {
  const windowed = count > WINDOWED_FROM;
  const [range, setRange] = useState(() => ({ start: 0, end: windowed ? firstRender(count) : count, rowPx: ESTIMATED_ROW_PX }));

  useLayoutEffect(() => {
    const list = listRef.current;
    if (!windowed || list === null) {
      setRange((previous) => (previous.start === 0 && previous.end === count ? previous : { ...previous, start: 0, end: count }));
      return;
    }
    let rowPx = ESTIMATED_ROW_PX;
    const scroller: HTMLElement = list.closest<HTMLElement>('.content') ?? (document.scrollingElement as HTMLElement);
    const update = (): void => {
      const rows = list.querySelectorAll(':scope > li');
      const first = rows[0];
      const last = rows[rows.length - 1];
      if (first !== undefined && last !== undefined) {
        // Whole pixels, so a re-measure of the same rows changes nothing.
        const measured = Math.round((last.getBoundingClientRect().bottom - first.getBoundingClientRect().top) / rows.length);
        if (measured > 0) rowPx = measured;
      }
      const listTop = list.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
      const above = Math.max(0, -listTop);
      const start = Math.max(0, Math.min(count, Math.floor(above / rowPx) - OVERSCAN));
      const end = Math.max(start, Math.min(count, Math.ceil((above + scroller.clientHeight) / rowPx) + OVERSCAN));
      setRange((previous) =>
        previous.start === start && previous.end === end && previous.rowPx === rowPx ? previous : { start, end, rowPx },
      );
    };
    update();
    scroller.addEventListener('scroll', update, { passive: true });
    window.addEventListener('resize', update);
    return () => {
      scroller.removeEventListener('scroll', update);
      window.removeEventListener('resize', update);
    };
  }, [listRef, count, windowed]);

  const start = Math.min(range.start, count);
  const end = Math.min(range.end, count);
  return { start, end, padTop: start * range.rowPx, padBottom: (count - end) * range.rowPx };
}
