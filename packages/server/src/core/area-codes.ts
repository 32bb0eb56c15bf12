/**
 * US and Canadian geographic NANP area codes → state/province and IANA time zone.
 *
 * This is the fallback for placing a lead when its ZIP code is missing or unknown (SPEC
 * §2 "Load"): the area code says where the number was issued, which is where most people
 * still live. Where an area code spans two zones, the zone of the larger population wins
 * (e.g. Florida's 850 panhandle is mostly Central; Tennessee's 423 is Eastern). Overlay
 * codes share their parent's row. Non-geographic codes (800-series toll-free, 500, 600,
 * 700, 900) and the rest of the NANP (the Caribbean) are deliberately absent: they say
 * nothing about where a lead is.
 *
 * Compiled by hand from the NANPA (US) and CNAC (Canada) assignments known in 2025;
 * overlays introduced later need adding here. The table is checked as it loads and by
 * `area-codes.test.ts`.
 */

export interface AreaCodeInfo {
  /** USPS state/territory code or Canadian province/territory code. */
  state: string;
  /** IANA time zone covering most of the area code's population. */
  timeZone: string;
}

/** `'<state> <IANA zone>'` → the area codes it covers, space-separated. */
const TABLE: Record<string, string> = {
  // United States
  'AL America/Chicago': '205 251 256 334 659 938',
  'AK America/Anchorage': '907',
  'AZ America/Phoenix': '480 520 602 623 928',
  'AR America/Chicago': '327 479 501 870',
  'CA America/Los_Angeles':
    '209 213 279 310 323 341 350 357 369 408 415 424 442 510 530 559 562 619 626 628 650 657 661 669 707 714 738 747 ' +
    '760 805 818 820 831 840 858 909 916 925 949 951',
  'CO America/Denver': '303 719 720 970 983',
  'CT America/New_York': '203 475 860 959',
  'DE America/New_York': '302',
  'DC America/New_York': '202 771',
  'FL America/New_York': '239 305 321 324 352 386 407 561 645 656 689 727 728 754 772 786 813 863 904 941 954',
  'FL America/Chicago': '448 850', // the western panhandle (Pensacola, Panama City) outnumbers Tallahassee
  'GA America/New_York': '229 404 470 478 678 706 762 770 912 943',
  'HI Pacific/Honolulu': '808',
  'ID America/Boise': '208 986',
  'IL America/Chicago': '217 224 309 312 331 447 464 618 630 708 730 773 779 815 847 861 872',
  'IN America/Indiana/Indianapolis': '260 317 463 574 765 812 930',
  'IN America/Chicago': '219', // Gary and the Chicago suburbs
  'IA America/Chicago': '319 515 563 641 712',
  'KS America/Chicago': '316 620 785 913',
  'KY America/Kentucky/Louisville': '502',
  'KY America/New_York': '606 859',
  'KY America/Chicago': '270 364',
  'LA America/Chicago': '225 318 337 504 985',
  'ME America/New_York': '207',
  'MD America/New_York': '227 240 301 410 443 667',
  'MA America/New_York': '339 351 413 508 617 774 781 857 978',
  'MI America/Detroit': '231 248 269 313 517 586 616 679 734 810 906 947 989',
  'MN America/Chicago': '218 320 507 612 651 763 952',
  'MS America/Chicago': '228 601 662 769',
  'MO America/Chicago': '235 314 417 557 573 636 660 816 975',
  'MT America/Denver': '406',
  'NE America/Chicago': '308 402 531',
  'NV America/Los_Angeles': '702 725 775',
  'NH America/New_York': '603',
  'NJ America/New_York': '201 551 609 640 732 848 856 862 908 973',
  'NM America/Denver': '505 575',
  'NY America/New_York':
    '212 315 329 332 347 363 516 518 585 607 624 631 646 680 716 718 838 845 914 917 929 934',
  'NC America/New_York': '252 336 472 704 743 828 910 919 980 984',
  'ND America/Chicago': '701',
  'OH America/New_York': '216 220 234 283 326 330 380 419 436 440 513 567 614 740 937',
  'OK America/Chicago': '405 539 572 580 918',
  'OR America/Los_Angeles': '458 503 541 971',
  'PA America/New_York': '215 223 267 272 412 445 484 570 582 610 717 724 814 835 878',
  'RI America/New_York': '401',
  'SC America/New_York': '803 821 839 843 854 864',
  'SD America/Chicago': '605',
  'TN America/New_York': '423 865',
  'TN America/Chicago': '615 629 731 901 931',
  'TX America/Chicago':
    '210 214 254 281 325 346 361 409 430 432 469 512 682 713 726 737 806 817 830 832 903 936 940 945 956 972 979',
  'TX America/Denver': '915', // El Paso
  'UT America/Denver': '385 435 801',
  'VT America/New_York': '802',
  'VA America/New_York': '276 434 540 571 686 703 757 804 826',
  'WA America/Los_Angeles': '206 253 360 425 509 564',
  'WV America/New_York': '304 681',
  'WI America/Chicago': '262 274 353 414 534 608 715 920',
  'WY America/Denver': '307',
  // US territories
  'PR America/Puerto_Rico': '787 939',
  'VI America/St_Thomas': '340',
  'GU Pacific/Guam': '671',
  'MP Pacific/Saipan': '670',
  'AS Pacific/Pago_Pago': '684',
  // Canada
  'AB America/Edmonton': '368 403 587 780 825',
  'BC America/Vancouver': '236 250 257 604 672 778',
  'MB America/Winnipeg': '204 431 584',
  'NB America/Moncton': '428 506',
  'NL America/St_Johns': '709 879',
  'NS America/Halifax': '782 902', // also Prince Edward Island
  'ON America/Toronto': '226 249 289 343 365 382 416 437 519 548 613 647 683 705 742 753 807 905 942',
  'QC America/Toronto': '263 354 367 418 438 450 468 514 579 581 819 873',
  'SK America/Regina': '306 474 639',
  'YT America/Whitehorse': '867', // shared by Yukon, the Northwest Territories and Nunavut
};

function buildIndex(table: Record<string, string>): ReadonlyMap<string, Readonly<AreaCodeInfo>> {
  const index = new Map<string, Readonly<AreaCodeInfo>>();
  for (const [key, codes] of Object.entries(table)) {
    const [state = '', timeZone = ''] = key.split(' ');
    const info = Object.freeze({ state, timeZone });
    for (const code of codes.split(/\s+/)) {
      // A typo here would silently misplace leads, so the table is checked as it loads.
      if (!/^[2-9]\d{2}$/.test(code)) throw new Error(`area-codes: malformed code "${code}" in ${key}`);
      if (index.has(code)) throw new Error(`area-codes: ${code} listed twice`);
      index.set(code, info);
    }
  }
  return index;
}

/** Every area code in the table, for tests and reports. */
export const AREA_CODES: ReadonlyMap<string, Readonly<AreaCodeInfo>> = buildIndex(TABLE);

/** Where a 3-digit NANP area code is, or null for unknown and non-geographic codes. */
export function areaCodeInfo(areaCode: string): Readonly<AreaCodeInfo> | null {
  return AREA_CODES.get(areaCode) ?? null;
}
